"""Hand-made Claude.ai exports: content blocks, the text fallback, parent links, tools, lists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from import_helpers import CLAUDE_ROOT, claude_conversation, claude_message, memory_app, write_json

from gaia_adapters.importers import ExportFormat
from gaia_domain.ids import ConversationId, MessageId


async def test_text_in_content_blocks_with_the_all_zero_parent_placeholder(tmp_path: Path) -> None:
    export = claude_conversation(
        "k1",
        [
            claude_message("u1", "human", "Bonjour — ça va ?", parent=CLAUDE_ROOT),
            claude_message("a1", "assistant", " Très bien.", parent="u1", created_at="2024-10-29T16:00:00Z"),
        ],
        current_leaf="a1",
    )
    async with memory_app() as app:
        report = await app.run(write_json(tmp_path, export))
        (conversation,) = await app.stored()
    assert (report.format, report.imported, report.messages_imported) == (ExportFormat.CLAUDE, 1, 2)
    assert [(m.role.value, m.content) for m in conversation.messages] == [
        ("user", "Bonjour — ça va ?"),
        ("assistant", " Très bien."),
    ]
    assert conversation.id == ConversationId.derive("claude", str(app.user.id), "k1")
    assert conversation.messages[1].id == MessageId.derive("claude", str(app.user.id), "k1", "a1")


async def test_plain_text_field_is_the_fallback_and_thinking_is_not_shown(tmp_path: Path) -> None:
    export = claude_conversation(
        "k2",
        [
            claude_message("u1", "human", "only in text", blocks=[]),
            claude_message(
                "a1",
                "assistant",
                blocks=[{"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "answer"}],
                parent="u1",
            ),
        ],
        current_leaf="a1",
    )
    async with memory_app() as app:
        await app.run(write_json(tmp_path, export))
        (conversation,) = await app.stored()
    assert [m.content for m in conversation.messages] == ["only in text", "answer"]


async def test_tool_use_and_tool_result_blocks_keep_the_tool_names(tmp_path: Path) -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "text", "text": "Let me search."},
        {"type": "tool_use", "name": "web_search", "input": {"query": "bakeries", "a.b": 1}},
        {"type": "tool_result", "name": "web_search", "content": [{"type": "text", "text": "3 results"}]},
    ]
    export = claude_conversation(
        "k3",
        [claude_message("u1", "human", "find bakeries"), claude_message("a1", "assistant", blocks=blocks, parent="u1")],
        current_leaf="a1",
    )
    async with memory_app() as app:
        await app.run(write_json(tmp_path, export))
        (conversation,) = await app.stored()
    answer = conversation.messages[1]
    assert answer.content == "Let me search.\n\n3 results"
    assert [(t.tool_name, t.data["type"]) for t in answer.tool_data] == [
        ("web_search", "tool_use"),
        ("web_search", "tool_result"),
    ]
    assert answer.tool_data[0].data["input"] == '{"query": "bakeries", "a.b": 1}'  # a dotted key kept as text


async def test_without_parent_links_the_list_order_by_index_is_the_thread(tmp_path: Path) -> None:
    export = claude_conversation(
        "k4",
        [
            claude_message("a1", "assistant", "second", parent=None, index=1),
            claude_message("u1", "human", "first", parent=None, index=0),
        ],
    )
    async with memory_app() as app:
        await app.run(write_json(tmp_path, [export, claude_conversation("k5", [claude_message("x", "human", "hi")])]))
        stored = {c.id: c for c in await app.stored()}
    assert [m.content for m in stored[ConversationId.derive("claude", str(app.user.id), "k4")].messages] == [
        "first",
        "second",
    ]
    assert len(stored) == 2


async def test_edited_branches_follow_current_leaf_and_all_branches_keeps_the_others(tmp_path: Path) -> None:
    export = claude_conversation(
        "k6",
        [
            claude_message("u1", "human", "question"),
            claude_message("a1", "assistant", "old answer", parent="u1"),
            claude_message("a2", "assistant", "new answer", parent="u1"),
        ],
        current_leaf="a2",
        name="Branchy",
    )
    path = write_json(tmp_path, export)
    async with memory_app() as app:
        await app.run(path)
        (visible,) = await app.stored()
        report = await app.run(path, all_branches=True)
        stored = {c.description: [m.content for m in c.messages] for c in await app.stored()}
    assert [m.content for m in visible.messages] == ["question", "new answer"]
    assert (report.imported, report.unchanged) == (1, 1)
    assert stored == {"Branchy": ["question", "new answer"], "Branchy (branch 1)": ["question", "old answer"]}


async def test_unknown_sender_breaks_only_that_conversation(tmp_path: Path) -> None:
    bad = claude_conversation("bad", [claude_message("u1", "robot", "beep")], name="Robot")
    good = claude_conversation("good", [claude_message("u1", "human", "hi")])
    async with memory_app() as app:
        report = await app.run(write_json(tmp_path, [bad, good]))
    assert report.imported == 1
    assert [(s.index, s.title) for s in report.skipped] == [(0, "Robot")]
    assert "unknown sender 'robot'" in report.skipped[0].reason


async def test_a_tool_input_nested_beyond_the_stack_does_not_stop_the_import(tmp_path: Path) -> None:
    depth = 5_000
    deep = "[" * depth + "]" * depth
    use = '{"type": "tool_use", "name": "deep", "input": ' + deep + "}"
    message = '{"uuid": "a1", "sender": "assistant", "text": "", "content": [' + use + "]}"
    path = tmp_path / "deep.json"
    path.write_text('{"uuid": "k7", "name": "Deep", "chat_messages": [' + message + "]}", encoding="utf-8")
    async with memory_app() as app:
        report = await app.run(path)
        (conversation,) = await app.stored()
    assert (report.imported, report.exit_code) == (1, 0)
    assert conversation.messages[0].tool_data[0].data["input"] == "[input not shown: nested too deeply]"
