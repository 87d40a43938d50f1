"""Hand-made ChatGPT exports, one per quirk listed in ../shared/data/SOURCES.md."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from import_helpers import gpt_chain, gpt_conversation, gpt_message, memory_app, write_json

from gaia_adapters.importers import ensure_user, import_export
from gaia_domain.ids import ConversationId, MessageId

T0 = 1_700_000_000.0


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(microsecond=int(epoch * 1000) % 1000 * 1000)


async def test_root_listed_after_its_child_and_without_a_message(tmp_path: Path) -> None:
    export = gpt_conversation(
        "c-root",
        {
            "a": ("root", gpt_message("user", "first", create_time=T0)),
            "root": (None, None),
            "b": ("a", gpt_message("assistant", "second", create_time=T0 + 1)),
        },
        current_node="b",
    )
    async with memory_app() as app:
        report = await app.run(write_json(tmp_path, [export]))
        (conversation,) = await app.stored()
    assert (report.imported, report.messages_imported, report.exit_code) == (1, 2, 0)
    assert [m.content for m in conversation.messages] == ["first", "second"]


def _edited_tree() -> dict[str, Any]:
    """root -> q1 -> a1 -> q2 (edited: q2b) -> a2 (regenerated: a2b); current node a2b."""
    return gpt_conversation(
        "c-tree",
        {
            "root": (None, None),
            "q1": ("root", gpt_message("user", "q1", create_time=T0)),
            "a1": ("q1", gpt_message("assistant", "a1", create_time=T0 + 1)),
            "q2": ("a1", gpt_message("user", "q2 first try", create_time=T0 + 2)),
            "a2old": ("q2", gpt_message("assistant", "answer to the first try", create_time=T0 + 3)),
            "q2b": ("a1", gpt_message("user", "q2 edited", create_time=T0 + 4)),
            "a2": ("q2b", gpt_message("assistant", "a2", create_time=T0 + 5)),
            "a2b": ("q2b", gpt_message("assistant", "a2 regenerated", create_time=T0 + 6)),
        },
        current_node="a2b",
        title="Edited",
    )


async def test_visible_thread_walks_back_from_current_node_and_drops_siblings(tmp_path: Path) -> None:
    async with memory_app() as app:
        report = await app.run(write_json(tmp_path, [_edited_tree()]))
        (conversation,) = await app.stored()
    assert report.imported == 1
    assert [m.content for m in conversation.messages] == ["q1", "a1", "q2 edited", "a2 regenerated"]
    assert conversation.id == ConversationId.derive("chatgpt", str(app.user.id), "c-tree")
    assert conversation.messages[0].id == MessageId.derive("chatgpt", str(app.user.id), "c-tree", "q1")


async def test_all_branches_become_separate_conversations_with_derived_ids(tmp_path: Path) -> None:
    path = write_json(tmp_path, [_edited_tree()])
    async with memory_app() as app:
        report = await app.run(path, all_branches=True)
        stored = {c.description: c for c in await app.stored()}
        again = await app.run(path, all_branches=True)
    assert (report.read, report.imported, report.messages_imported) == (1, 3, 12)
    assert [m.content for m in stored["Edited"].messages] == ["q1", "a1", "q2 edited", "a2 regenerated"]
    assert [m.content for m in stored["Edited (branch 1)"].messages] == [
        "q1",
        "a1",
        "q2 first try",
        "answer to the first try",
    ]
    assert [m.content for m in stored["Edited (branch 2)"].messages] == ["q1", "a1", "q2 edited", "a2"]
    assert stored["Edited"].id == ConversationId.derive(
        "chatgpt", str(app.user.id), "c-tree"
    )  # the same id as without the flag
    assert stored["Edited (branch 1)"].id == ConversationId.derive(
        "chatgpt", str(app.user.id), "c-tree", "branch", "a2old"
    )
    assert (again.imported, again.unchanged) == (0, 3)


async def test_hidden_system_messages_are_skipped(tmp_path: Path) -> None:
    export = gpt_conversation(
        "c-hidden",
        {
            "root": (None, None),
            "sys": ("root", gpt_message("system", "", create_time=None)),  # empty system text, no time
            "flagged": ("sys", gpt_message("system", "You are ChatGPT", hidden=True)),
            "ctx": (
                "flagged",
                gpt_message("user", content={"content_type": "user_editable_context", "text": "about me"}),
            ),
            "q": ("ctx", gpt_message("user", "hello")),
            "shown": ("q", gpt_message("system", "a visible system note")),
        },
        current_node="shown",
    )
    async with memory_app() as app:
        await app.run(write_json(tmp_path, export))
        (conversation,) = await app.stored()
    assert [(m.role.value, m.content) for m in conversation.messages] == [
        ("user", "hello"),
        ("system", "a visible system note"),
    ]


async def test_text_comes_from_whichever_field_carries_it(tmp_path: Path) -> None:
    contents: list[tuple[str, dict[str, Any]]] = [
        ("assistant", {"content_type": "code", "language": "unknown", "text": 'search("x")'}),
        ("tool", {"content_type": "tether_browsing_display", "result": "# 【0†result†example.org】", "summary": None}),
        ("tool", {"content_type": "tether_quote", "url": "https://example.org", "domain": "example.org", "text": "Q"}),
        ("user", {"content_type": "multimodal_text", "parts": [{"content_type": "image_asset_pointer"}, "look"]}),
        ("tool", {"content_type": "execution_output", "text": "42"}),
        ("assistant", {"content_type": "thoughts", "thoughts": [{"summary": "s", "content": "thinking"}]}),
        ("assistant", {"content_type": "reasoning_recap", "content": "Thought for 3 seconds"}),
        ("assistant", {"content_type": "text", "parts": ["one", "two"]}),
    ]
    nodes: dict[str, Any] = {"root": (None, None)}
    parent = "root"
    for number, (role, content) in enumerate(contents):
        nodes[f"m{number}"] = (parent, gpt_message(role, content=content, create_time=T0 + number, name="python"))
        parent = f"m{number}"
    async with memory_app() as app:
        await app.run(write_json(tmp_path, [gpt_conversation("c-fields", nodes, current_node=parent)]))
        (conversation,) = await app.stored()
    assert [m.content for m in conversation.messages] == [
        'search("x")',
        "# 【0†result†example.org】",
        "Q",
        "[image_asset_pointer]\n\nlook",
        "42",
        "thinking",
        "Thought for 3 seconds",
        "one\n\ntwo",
    ]


async def test_tool_messages_keep_the_tool_name_from_author_name(tmp_path: Path) -> None:
    export = gpt_conversation(
        "c-tool",
        {
            "root": (None, None),
            "q": ("root", gpt_message("user", "weather?")),
            "t": (
                "q",
                gpt_message(
                    "tool",
                    content={"content_type": "tether_quote", "url": "https://w.example", "title": "W", "text": "sunny"},
                    name="browser",
                ),
            ),
            "anon": ("t", gpt_message("tool", "no name given")),
        },
        current_node="anon",
    )
    async with memory_app() as app:
        await app.run(write_json(tmp_path, [export]))
        (conversation,) = await app.stored()
    tool, anonymous = conversation.messages[1:]
    assert tool.role.value == "tool"
    assert [(t.tool_name, dict(t.data)) for t in tool.tool_data] == [
        ("browser", {"content_type": "tether_quote", "url": "https://w.example", "title": "W"})
    ]
    assert [t.tool_name for t in anonymous.tool_data] == ["tool"]


async def test_times_epoch_null_and_iso_strings(tmp_path: Path) -> None:
    export = gpt_conversation(
        "c-times",
        {
            "root": (None, None),
            "first": ("root", gpt_message("user", "no time, first", create_time=None)),
            "iso": ("first", gpt_message("assistant", "iso", create_time="2024-01-02T03:04:05.678Z")),
            "null": ("iso", gpt_message("user", "null", create_time=None)),
            "float": ("null", gpt_message("assistant", "float", create_time=1_704_165_000.123456)),
            "offset": ("float", gpt_message("user", "offset", create_time="2024-01-02T06:00:00+02:00")),
            "naive": ("offset", gpt_message("assistant", "naive", create_time="2024-01-02 05:00:00")),
            "junk": ("naive", gpt_message("user", "junk", create_time="not a time")),
        },
        current_node="junk",
        create_time=1_704_000_000.5,
    )
    async with memory_app() as app:
        await app.run(write_json(tmp_path, [export]))
        (conversation,) = await app.stored()
    times = {m.content: m.created_at for m in conversation.messages}
    assert times["no time, first"] == _at(1_704_000_000.5)  # the conversation's create_time
    assert times["iso"] == datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert times["null"] == times["iso"]  # the nearest earlier known time
    assert times["float"] == datetime(2024, 1, 2, 3, 10, 0, 123000, tzinfo=UTC)
    assert times["offset"] == datetime(2024, 1, 2, 4, 0, tzinfo=UTC)
    assert times["naive"] == datetime(2024, 1, 2, 5, 0, tzinfo=UTC)  # no zone: taken as UTC
    assert times["junk"] == times["naive"]  # unreadable: like null
    assert conversation.created_at == _at(1_704_000_000.5)
    assert conversation.updated_at == times["junk"]


async def test_no_known_time_at_all_uses_the_first_later_time_then_the_import_time(tmp_path: Path) -> None:
    later = gpt_conversation(
        "c-later",
        {
            "root": (None, None),
            "a": ("root", gpt_message("user", "a", create_time=None)),
            "b": ("a", gpt_message("assistant", "b", create_time=T0)),
        },
        current_node="b",
        create_time=None,
    )
    never = gpt_conversation(
        "c-never", {"a": (None, gpt_message("user", "a", create_time=None))}, current_node="a", create_time=None
    )
    async with memory_app() as app:
        now = app.clock.now()
        await app.run(write_json(tmp_path, [later, never]))
        by_id = {c.id: c for c in await app.stored()}
    assert by_id[ConversationId.derive("chatgpt", str(app.user.id), "c-later")].messages[0].created_at == _at(T0)
    assert by_id[ConversationId.derive("chatgpt", str(app.user.id), "c-never")].messages[0].created_at >= now


async def test_escaped_and_raw_non_ascii_and_invisible_characters_are_preserved_exactly(tmp_path: Path) -> None:
    texts = [
        "caf\u00e9 \u2060joined\u200b \u3010\u2020\u3011",
        "\U0001f600 emoji, \u0441\u043a\u0438, \u00a3",
        "  spaced  ",
    ]
    export = gpt_chain("c-text", [("user", texts[0]), ("assistant", texts[1]), ("user", texts[2])])
    escaped = tmp_path / "escaped.json"
    escaped.write_text(json.dumps([export], ensure_ascii=True), encoding="ascii")
    raw = write_json(tmp_path, [export], "raw.json")
    for path in (escaped, raw):
        async with memory_app() as app:
            await app.run(path)
            (conversation,) = await app.stored()
        assert [m.content for m in conversation.messages] == texts


async def test_a_single_conversation_object_is_accepted(tmp_path: Path) -> None:
    async with memory_app() as app:
        report = await app.run(write_json(tmp_path, gpt_chain("solo", [("user", "hi")])))
    assert (report.read, report.imported) == (1, 1)


async def test_missing_current_node_falls_back_to_the_newest_leaf(tmp_path: Path) -> None:
    export = _edited_tree()
    export["current_node"] = None
    async with memory_app() as app:
        await app.run(write_json(tmp_path, [export]))
        (conversation,) = await app.stored()
    assert conversation.messages[-1].content == "a2 regenerated"


async def test_long_messages_are_cut_and_counted_instead_of_losing_the_conversation(tmp_path: Path) -> None:
    export = gpt_chain("c-long", [("tool", "x" * 150_000), ("assistant", "short")])
    async with memory_app() as app:
        report = await app.run(write_json(tmp_path, [export]))
        (conversation,) = await app.stored()
    assert (report.imported, report.clipped_messages, report.exit_code) == (1, 1, 0)
    assert len(conversation.messages[0].content) == 100_000
    assert conversation.messages[0].content.endswith("longer than 100,000 characters]")


async def test_two_users_importing_the_same_file_each_get_their_own_conversations(tmp_path: Path) -> None:
    path = write_json(tmp_path, [gpt_chain("shared", [("user", "hi")])])
    async with memory_app() as app:
        first = await app.run(path)
        other, _ = await ensure_user(app.users, "someone.else@example.org")
        second = await import_export(path, user_id=other.id, conversations=app.conversations, clock=app.clock)
        mine = await app.stored()
        theirs = await app.stored(other.id)
    assert (first.imported, second.imported, second.unchanged) == (1, 1, 0)
    assert len(mine) == len(theirs) == 1
    assert mine[0].id != theirs[0].id


async def test_times_beyond_any_calendar_are_treated_as_unknown(tmp_path: Path) -> None:
    export = gpt_conversation(
        "c-odd-times",
        {
            "a": (None, gpt_message("user", "known", create_time=T0)),
            "b": ("a", gpt_message("assistant", "huge int", create_time=10**18)),
            "c": ("b", gpt_message("user", "negative", create_time=-5)),
            "d": ("c", gpt_message("assistant", "in ms", create_time=1_700_000_123_456)),
        },
        current_node="d",
    )
    async with memory_app() as app:
        await app.run(write_json(tmp_path, [export]))
        (conversation,) = await app.stored()
    times = [m.created_at for m in conversation.messages]
    assert times[:3] == [_at(T0)] * 3
    assert times[3] == _at(1_700_000_123.456)
