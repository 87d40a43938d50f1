"""Exports as delivered: a .zip archive holding conversations.json (read as a stream from the archive)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from import_helpers import claude_conversation, claude_message, gpt_chain, memory_app

from gaia_adapters.importers import ExportFormat


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


@pytest.mark.parametrize("member", ["conversations.json", "export-2024-05-01/conversations.json"])
async def test_chatgpt_zip_export_is_read_from_its_conversations_json(tmp_path: Path, member: str) -> None:
    export = [gpt_chain("z1", [("user", "from a zip ✓")]), gpt_chain("z2", [("user", "second")])]
    path = _zip(
        tmp_path / "chatgpt-export.zip",
        {"chat.html": "<html></html>", member: json.dumps(export), "user.json": "{}"},
    )
    async with memory_app() as app:
        report = await app.run(path)
        stored = await app.stored()
    assert (report.format, report.imported, report.exit_code) == (ExportFormat.CHATGPT, 2, 0)
    assert sorted(c.messages[0].content for c in stored) == ["from a zip ✓", "second"]


async def test_claude_zip_export(tmp_path: Path) -> None:
    export = [claude_conversation("k", [claude_message("u", "human", "zipped")])]
    path = _zip(tmp_path / "claude.zip", {"users.json": "[]", "conversations.json": json.dumps(export)})
    async with memory_app() as app:
        report = await app.run(path)
    assert (report.format, report.imported, report.exit_code) == (ExportFormat.CLAUDE, 1, 0)


async def test_a_truncated_member_is_reported_with_the_archive_and_member_names(tmp_path: Path) -> None:
    text = json.dumps([gpt_chain("a", [("user", "a")]), gpt_chain("b", [("user", "b")])])
    path = _zip(tmp_path / "cut.zip", {"conversations.json": text[: len(text) // 2 + 40]})
    async with memory_app() as app:
        report = await app.run(path)
    assert report.exit_code == 2
    assert report.error is not None
    assert "cut.zip/conversations.json ends in the middle of the JSON" in report.error


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "is a zip archive without a conversations.json"),
        (b"PK\x03\x04 not really a zip", "cannot read the zip archive"),
    ],
)
async def test_unusable_archives(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "export.zip"
    if content is None:
        _zip(path, {"chat.html": "<html></html>"})
    else:
        path.write_bytes(content)
    async with memory_app() as app:
        report = await app.run(path)
    assert report.exit_code == 2
    assert report.error is not None
    assert message in report.error


async def test_a_damaged_archive_member_is_an_unusable_file(tmp_path: Path) -> None:
    text = json.dumps([gpt_chain(f"c{n}", [("user", "x" * 2000)]) for n in range(50)])
    path = _zip(tmp_path / "damaged.zip", {"conversations.json": text})
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)  # corrupt the compressed stream
    path.write_bytes(bytes(data))
    async with memory_app() as app:
        report = await app.run(path)
    assert report.exit_code == 2
    assert report.error is not None
    assert "damaged.zip/conversations.json" in report.error
