"""The real exports in ../shared/data import with the counts an independent reading of each file gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from import_helpers import memory_app, shared_file

from gaia_adapters.importers import ExportFormat

REAL_FILES = [
    ("chatgpt-LibreChat-export.json", ExportFormat.CHATGPT),
    ("chatgpt-LibreChat-tree.json", ExportFormat.CHATGPT),
    ("claude-claude-chat-viewer.json", ExportFormat.CLAUDE),
]


def _has_text(content: dict[str, Any]) -> bool:
    strings = [p for p in content.get("parts", []) if isinstance(p, str)]
    strings += [content.get("text") or "", content.get("result") or ""]
    return any(s.strip() for s in strings)


def independent_count(path: Path) -> tuple[int, int]:
    """(conversations, visible messages), deliberately not the importer's code: json.load and walk back."""
    data = json.loads(path.read_text(encoding="utf-8"))
    conversations = data if isinstance(data, list) else [data]
    messages = 0
    for conversation in conversations:
        if "mapping" in conversation:
            node_id = conversation["current_node"]
            while node_id is not None:
                node = conversation["mapping"][node_id]
                message = node.get("message")
                if message is not None:
                    hidden = (message.get("metadata") or {}).get("is_visually_hidden_from_conversation")
                    if not hidden and _has_text(message["content"]):
                        messages += 1
                node_id = node.get("parent")
        else:
            by_uuid = {m["uuid"]: m for m in conversation["chat_messages"]}
            uuid = conversation["current_leaf_message_uuid"]
            while uuid in by_uuid:
                messages += 1
                uuid = by_uuid[uuid]["parent_message_uuid"]
    return len(conversations), messages


@pytest.mark.parametrize(("name", "expected_format"), REAL_FILES)
async def test_real_export_imports_with_independent_counts_then_unchanged(
    name: str, expected_format: ExportFormat
) -> None:
    path = shared_file(name)
    conversations, messages = independent_count(path)
    async with memory_app() as app:
        first = await app.run(path)
        assert first.error is None
        assert first.format is expected_format
        assert (first.read, first.imported, first.unchanged, first.skipped) == (conversations, conversations, 0, [])
        assert (first.messages_read, first.messages_imported) == (messages, messages)
        assert first.exit_code == 0
        stored = await app.stored()
        assert len(stored) == conversations
        assert sum(len(c.messages) for c in stored) == messages

        second = await app.run(path)
        assert (second.imported, second.unchanged, second.messages_imported, second.exit_code) == (
            0,
            conversations,
            0,
            0,
        )
        assert len(await app.stored()) == conversations


def test_independent_counts_of_the_real_files() -> None:
    """The figures reported for the real files (docs/import.md), pinned so that a changed file is noticed."""
    counts = {name: independent_count(shared_file(name)) for name, _ in REAL_FILES}
    assert counts == {
        "chatgpt-LibreChat-export.json": (2, 19),
        "chatgpt-LibreChat-tree.json": (1, 6),
        "claude-claude-chat-viewer.json": (1, 4),
    }


async def test_real_chatgpt_text_is_preserved_exactly_with_escapes_and_invisible_characters() -> None:
    path = shared_file("chatgpt-LibreChat-export.json")
    raw = json.loads(path.read_text(encoding="utf-8"))
    expected: set[str] = set()
    for conversation in raw:
        for node in conversation["mapping"].values():
            content = (node.get("message") or {}).get("content") or {}
            for text in [*content.get("parts", []), content.get("text"), content.get("result")]:
                if isinstance(text, str) and any(ord(ch) > 127 for ch in text):
                    expected.add(text)
    assert any("\u2060" in text for text in expected)  # the word joiner: invisible, easy to lose
    async with memory_app() as app:
        await app.run(path)
        stored = {m.content for c in await app.stored() for m in c.messages}
    assert expected <= stored


async def test_real_chatgpt_tool_messages_keep_the_tool_name() -> None:
    async with memory_app() as app:
        await app.run(shared_file("chatgpt-LibreChat-export.json"))
        web_search = next(c for c in await app.stored() if c.description == "Conversation 1. Web Search")
    tools = [(m.role.value, [t.tool_name for t in m.tool_data]) for m in web_search.messages if m.role.value == "tool"]
    assert tools == [("tool", ["browser"])] * 5
    assert web_search.messages[1].content == 'search("Volkswagen Transporter fuel consumption with 8 people l/km")'


async def test_real_tree_all_branches_adds_the_edited_and_regenerated_branches() -> None:
    path = shared_file("chatgpt-LibreChat-tree.json")
    async with memory_app() as app:
        await app.run(path)
        report = await app.run(path, all_branches=True)
        assert (report.imported, report.unchanged, report.exit_code) == (2, 1, 0)
        stored = {c.description: [m.content for m in c.messages] for c in await app.stored()}
    assert set(stored) == {
        "Assist user with summary",
        "Assist user with summary (branch 1)",
        "Assist user with summary (branch 2)",
    }
    assert stored["Assist user with summary"][2] == "hi again"
    assert stored["Assist user with summary (branch 1)"][2] == "so cool bro"  # the edited first question
    assert stored["Assist user with summary (branch 2)"][:5] == stored["Assist user with summary"][:5]  # regenerated


async def test_real_claude_export_keeps_iso_times_and_raw_non_ascii() -> None:
    async with memory_app() as app:
        await app.run(shared_file("claude-claude-chat-viewer.json"))
        (conversation,) = await app.stored()
    assert conversation.description == "Interactive Bakery Comparison Visualization"
    assert [m.role.value for m in conversation.messages] == ["user", "assistant", "user", "assistant"]
    assert "what’s wrong with all the other one’s" in conversation.messages[0].content
    assert conversation.messages[0].created_at.isoformat() == "2024-10-29T15:59:38.340000+00:00"
    assert conversation.created_at.isoformat() == "2024-10-29T15:59:18.774000+00:00"
    assert conversation.messages[1].content.startswith(" I'll create")  # leading space kept as written


@pytest.mark.parametrize(
    ("env", "outcome"),
    [
        ({"CI": "true"}, pytest.fail.Exception),
        ({"GAIA_REQUIRE_SERVICES": "1"}, pytest.fail.Exception),
        ({}, pytest.skip.Exception),
    ],
)
def test_a_missing_real_file_fails_in_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], outcome: type[BaseException]
) -> None:
    for name in ("CI", "GAIA_REQUIRE_SERVICES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(outcome, match="is missing"):
        shared_file("no-such-export.json")


async def test_gaias_own_conversation_documents_are_refused_as_such_and_nothing_is_stored() -> None:
    """The legacy file is MongoDB documents, not an export: the error says what it is and where it goes."""
    async with memory_app() as app:
        report = await app.run(shared_file("gaia-legacy-conversations.json"))
        assert report.exit_code == 2
        assert "GAIA's own MongoDB conversation documents" in (report.error or "")
        assert "gaia-db migrate --mongo-url" in (report.error or "")
        assert await app.stored() == []
