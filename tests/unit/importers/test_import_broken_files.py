"""Broken conversations are skipped and reported; unusable files give a clear error and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from import_helpers import gpt_chain, gpt_conversation, gpt_message, memory_app, write_json

from gaia_adapters.importers import ExportFormat, check_export
from gaia_adapters.importers.synthetic import write_chatgpt_export


def _good(number: int) -> dict[str, Any]:
    return gpt_chain(f"good-{number}", [("user", f"question {number}"), ("assistant", f"answer {number}")])


def _cycle() -> dict[str, Any]:
    return gpt_conversation(
        "cyclic",
        {"a": ("b", gpt_message("user", "a")), "b": ("a", gpt_message("assistant", "b"))},
        current_node="a",
        title="Going round",
    )


def _dangling_child() -> dict[str, Any]:
    export = gpt_conversation("dc", {"a": (None, gpt_message("user", "a"))}, current_node="a")
    export["mapping"]["a"]["children"].append("ghost")
    return export


def _without_author() -> dict[str, Any]:
    export = gpt_chain("na", [("user", "x")])
    export["mapping"]["n0"]["message"]["author"] = None
    return export


BROKEN: list[tuple[str, Any, str]] = [
    ("no mapping", {"title": "Empty", "conversation_id": "e1", "mapping": {}}, "no messages"),
    ("only hidden", gpt_chain("hidden-only", []), "no messages on the visible thread"),
    ("cycle", _cycle(), "cycle in the parent links"),
    (
        "node not an object",
        {"title": "Bad node", "conversation_id": "b1", "mapping": {"x": 5}, "current_node": "x"},
        "node 'x' is not an object",
    ),
    ("dangling child", _dangling_child(), "lists a child 'ghost'"),
    (
        "missing parent",
        gpt_conversation("mp", {"a": ("ghost", gpt_message("user", "a"))}, current_node="a"),
        "names a parent 'ghost'",
    ),
    ("message without author", _without_author(), "message has no author"),
    ("unknown role", gpt_chain("ur", [("critic", "x")]), "unknown author role 'critic'"),
    ("no id", {"title": "No id", "mapping": {"a": {}}}, "no conversation id"),
    ("not an object", 42, "must be a JSON object"),
]


@pytest.mark.parametrize(("case", "broken", "reason"), BROKEN, ids=[case for case, _, _ in BROKEN])
async def test_one_broken_conversation_among_good_ones_is_skipped_and_reported(
    tmp_path: Path, case: str, broken: Any, reason: str
) -> None:
    path = write_json(tmp_path, [_good(1), broken, _good(2)])
    async with memory_app() as app:
        report = await app.run(path)
        stored = await app.stored()
    assert (report.read, report.imported, report.exit_code) == (3, 2, 1)
    (skipped,) = report.skipped
    assert skipped.index == 1
    assert skipped.title == (broken.get("title", "") if isinstance(broken, dict) else "")
    assert reason in skipped.reason
    assert sorted(c.messages[0].content for c in stored) == ["question 1", "question 2"]


async def test_the_same_conversation_twice_in_one_file_is_reported(tmp_path: Path) -> None:
    async with memory_app() as app:
        report = await app.run(write_json(tmp_path, [_good(1), _good(1)]))
    assert (report.imported, report.exit_code) == (1, 1)
    assert report.skipped[0].reason == "the same conversation id as the conversation at index 0"


def _truncate(path: Path, keep: int) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[:keep])
    return path


async def test_truncated_file_keeps_whole_conversations_before_the_break_and_rerun_is_idempotent(
    tmp_path: Path,
) -> None:
    conversations = [_good(n) for n in range(5)]
    full = write_json(tmp_path, conversations, "full.json")
    text = full.read_text(encoding="utf-8")
    cut = text.index('"question 3"')  # inside the fourth conversation
    truncated = tmp_path / "truncated.json"
    truncated.write_text(text[:cut], encoding="utf-8")
    async with memory_app() as app:
        report = await app.run(truncated, batch_conversations=2)
        stored = await app.stored()
        assert report.error is not None
        assert "ends in the middle of the JSON (truncated?)" in report.error
        assert (report.read, report.imported, report.exit_code) == (3, 3, 2)
        # no half conversation: each stored one has both of its messages
        assert sorted(len(c.messages) for c in stored) == [2, 2, 2]
        rerun = await app.run(full)
    assert (rerun.imported, rerun.unchanged, rerun.exit_code) == (2, 3, 0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "should start with [ or {, found nothing"),
        (b"   \n", "should start with [ or {, found nothing"),
        (b"hello, I am not JSON", "should start with [ or {, found 'h'"),
        (b"<html><body>404</body></html>", "is not a chat export"),
        (b'[{"mapping": {}} garbage', "is not valid JSON"),
        (b'{"mapping": ', "ends in the middle of the JSON (truncated?)"),
        (b"[1, 2, 3]", "unknown export format"),
        (b'{"title": "neither"}', "unknown export format"),
    ],
)
async def test_unusable_files_give_a_clear_error_and_import_nothing(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(content)
    async with memory_app() as app:
        report = await app.run(path)
        assert await app.stored() == []
    assert report.error is not None
    assert message in report.error
    assert str(path) in report.error
    assert report.exit_code == 2


async def test_missing_file_is_unusable(tmp_path: Path) -> None:
    async with memory_app() as app:
        report = await app.run(tmp_path / "nope.json")
    assert report.exit_code == 2
    assert report.error is not None
    assert "cannot read" in report.error


async def test_empty_list_imports_nothing_and_succeeds(tmp_path: Path) -> None:
    async with memory_app() as app:
        report = await app.run(write_json(tmp_path, []))
    assert (report.format, report.read, report.imported, report.exit_code) == (None, 0, 0, 0)


async def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps([_good(1)]).encode())
    async with memory_app() as app:
        report = await app.run(path)
    assert (report.imported, report.exit_code) == (1, 0)


async def test_forced_format_reads_the_file_as_that_format(tmp_path: Path) -> None:
    path = write_json(tmp_path, [_good(1)])
    async with memory_app() as app:
        forced = await app.run(path, format=ExportFormat.CLAUDE)
        assert (forced.format, forced.imported, forced.exit_code) == (ExportFormat.CLAUDE, 0, 1)
        # The reason names the real problem (the other format), not a symptom of it (no uuid).
        assert forced.skipped[0].reason.startswith("a ChatGPT conversation (it has 'mapping') in a file read as Claude")
        assert forced.skipped[0].title == _good(1)["title"]  # the title is found under the other format's key
        right = await app.run(path, format=ExportFormat.CHATGPT)
    assert (right.imported, right.exit_code) == (1, 0)


async def test_a_claude_conversation_forced_as_chatgpt_says_so(tmp_path: Path) -> None:
    path = write_json(tmp_path, [{"uuid": "c1", "name": "Bakery", "chat_messages": [{"uuid": "m1", "text": "hi"}]}])
    async with memory_app() as app:
        forced = await app.run(path, format=ExportFormat.CHATGPT)
    assert forced.exit_code == 1
    reason = forced.skipped[0].reason
    assert reason.startswith("a Claude conversation (it has 'chat_messages') in a file read as ChatGPT")
    assert forced.skipped[0].title == "Bakery"


async def test_a_file_mixing_formats_skips_the_other_format_without_blaming_an_option(tmp_path: Path) -> None:
    claude = {"uuid": "c1", "name": "Bakery", "chat_messages": [{"uuid": "m1", "text": "hi"}]}
    path = write_json(tmp_path, [_good(1), claude])
    async with memory_app() as app:
        report = await app.run(path)  # no --format: detected as ChatGPT from the first conversation
    assert (report.imported, report.exit_code, [s.title for s in report.skipped]) == (1, 1, ["Bakery"])
    assert "detected from its first conversation" in report.skipped[0].reason


async def test_store_failure_stops_the_import_with_exit_code_3(tmp_path: Path) -> None:
    from gaia_domain.errors import StoreUnavailable

    async with memory_app() as app:

        async def failing(conversations: object) -> int:
            raise StoreUnavailable("mongo", "connection refused")

        app.conversations.import_conversations = failing  # type: ignore[method-assign]
        report = await app.run(write_json(tmp_path, [_good(1)]))
    assert report.exit_code == 3
    assert report.store_error == "mongo unavailable: connection refused"


async def test_a_conversation_too_large_for_one_document_is_skipped(tmp_path: Path) -> None:
    huge = gpt_chain("huge", [("tool", "y" * 99_000)] * 160, title="Huge")
    path = write_json(tmp_path, [_good(1), huge])
    async with memory_app() as app:
        report = await app.run(path)
    assert (report.imported, report.exit_code) == (1, 1)
    assert report.skipped[0].title == "Huge"
    assert report.skipped[0].reason.startswith("too large: over 15 MB")


async def test_an_unforeseen_parser_error_costs_only_that_conversation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gaia_adapters.importers import chatgpt

    real = chatgpt.content_text

    def flaky(content: dict[str, Any]) -> str:
        if content.get("parts") == ["question 1"]:
            raise TypeError("a shape nobody foresaw")
        return real(content)

    monkeypatch.setattr(chatgpt, "content_text", flaky)
    async with memory_app() as app:
        report = await app.run(write_json(tmp_path, [_good(1), _good(2)]))
    assert (report.imported, report.exit_code) == (1, 1)
    assert report.skipped[0].reason == "unreadable (TypeError: a shape nobody foresaw)"


async def test_invalid_utf8_is_an_unusable_file_with_a_readable_message(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(json.dumps([_good(1)]).encode()[:-1] + b', {"title": "caf\xe9", "mapping": {}}]')
    async with memory_app() as app:
        report = await app.run(path)
    assert report.exit_code == 2
    assert report.imported == 1  # the whole conversation before the bad bytes
    assert report.error is not None
    assert "is not valid JSON" in report.error
    assert "lexical error: invalid bytes in UTF8 string." in report.error
    assert "b'" not in report.error


async def test_a_path_given_as_a_string_is_accepted_by_the_writer_and_the_import(tmp_path: Path) -> None:
    export = write_chatgpt_export(str(tmp_path / "as-text.json"), conversations=3)
    assert export.path == tmp_path / "as-text.json"
    assert check_export(str(export.path)) is None
    async with memory_app() as app:
        report = await app.run(str(export.path))  # type: ignore[arg-type]  # as an untyped caller passes it
    assert (report.imported, report.exit_code) == (3, 0)
