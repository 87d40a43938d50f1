"""Reading an export as a stream: one conversation in memory at a time, whatever the file's size.

The top level is either a list of conversations or one conversation object. ijson (the yajl2 C
backend when available) yields each conversation as it completes; nothing else of the file is kept.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Generator
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import IO, Any

import ijson

from gaia_adapters.importers.errors import UnusableFile

_BOM = b"\xef\xbb\xbf"
_ZIP_MAGIC = b"PK\x03\x04"
_READ_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zlib.error)
_MEMBER = "conversations.json"  # the name in both ChatGPT and Claude.ai export archives
_BUFFER = 256 * 1024
# How far into the first conversation detection may read before giving up (events, not bytes).
_DETECT_EVENTS = 2_000_000


class ExportFormat(StrEnum):
    CHATGPT = "chatgpt"
    CLAUDE = "claude"


class CountingReader:
    """A binary file that counts the bytes handed to the parser (the progress bar's position)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size)
        self.bytes_read += len(chunk)
        return chunk


class ExportFile:
    """An open export: its size, its top-level shape, and a stream of its raw conversations."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._zip: zipfile.ZipFile | None = None
        self._file, self.size = self._open(self.path)
        self._start = len(_BOM) if self._file.read(len(_BOM)) == _BOM else 0
        self._file.seek(self._start)
        first = self._first_byte()
        if first not in (b"[", b"{"):
            self.close()
            shown = repr(first.decode("latin-1")) if first else "nothing"  # one byte: shown as a character
            raise UnusableFile(f"{self.path} is not a chat export: it should start with [ or {{, found {shown}")
        self.is_list = first == b"["
        self.reader = CountingReader(self._file)

    def _open(self, path: Path) -> tuple[IO[bytes], int]:
        """The JSON stream and its size; of a .zip export (as ChatGPT and Claude ship them), its conversations.json."""
        try:
            raw = path.open("rb")
        except OSError as exc:
            raise UnusableFile(f"cannot read {path}: {exc.strerror or exc}") from exc
        if raw.read(len(_ZIP_MAGIC)) != _ZIP_MAGIC:
            raw.seek(0)
            return raw, os.fstat(raw.fileno()).st_size
        raw.close()
        try:
            self._zip = zipfile.ZipFile(path)
            members = [i for i in self._zip.infolist() if PurePosixPath(i.filename).name == _MEMBER]
            if not members:
                raise UnusableFile(f"{path} is a zip archive without a {_MEMBER}")
            member = min(members, key=lambda info: info.filename.count("/"))  # the top-most one
            self.path = path / member.filename  # messages name the member: export.zip/conversations.json
            return self._zip.open(member), member.file_size
        except (zipfile.BadZipFile, OSError, NotImplementedError) as exc:
            self.close()
            raise UnusableFile(f"cannot read the zip archive {path}: {exc}") from exc
        except UnusableFile:
            self.close()
            raise

    def _first_byte(self) -> bytes:
        while True:
            chunk = self._file.read(4096)
            if not chunk:
                return b""
            stripped = chunk.lstrip()
            if stripped:
                self._file.seek(self._start)
                return stripped[:1]
            self._start += len(chunk)

    def close(self) -> None:
        if hasattr(self, "_file"):
            self._file.close()
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> ExportFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rewind(self) -> None:
        self._file.seek(self._start)
        self.reader.bytes_read = 0

    def detect_format(self) -> ExportFormat | None:
        """The format of the first conversation from its keys (``mapping`` or ``chat_messages``).

        None for an empty list. Reads only as far as needed, without building the conversation.
        """
        self._rewind()
        level = "item" if self.is_list else ""
        keys: set[str] = set()
        try:
            for count, (prefix, event, value) in enumerate(ijson.parse(self.reader, buf_size=_BUFFER)):
                if event == "map_key" and prefix == level:
                    keys.add(value)
                    if value == "mapping":
                        return ExportFormat.CHATGPT
                    if value == "chat_messages":
                        return ExportFormat.CLAUDE
                elif event == "end_map" and prefix == level:
                    break  # the first conversation ended without either key
                elif prefix == level and event not in ("start_map", "map_key"):
                    break  # the first item is not an object at all
                elif event == "end_array" and prefix == "" and self.is_list:
                    return None  # an empty list
                if count > _DETECT_EVENTS:
                    break
        except ijson.JSONError as exc:
            raise self.parse_error(exc) from exc
        except _READ_ERRORS as exc:  # the disk, or a damaged archive member (CRC, cut-off stream)
            raise UnusableFile(f"cannot read {self.path} (after {self.reader.bytes_read:,} bytes): {exc}") from exc
        finally:
            self._rewind()
        if {"conversation_id", "messages"} <= keys:
            raise UnusableFile(
                f"{self.path}: this looks like GAIA's own MongoDB conversation documents ('conversation_id', "
                "'messages'), not a chat export: those are upgraded where they are stored, by "
                "gaia-db migrate --mongo-url (docs/import.md, 'GAIA's own conversation documents')"
            )
        raise UnusableFile(
            f"{self.path}: unknown export format: the first conversation has neither 'mapping' (ChatGPT) "
            "nor 'chat_messages' (Claude); use --format to force one"
        )

    def conversations(self) -> Generator[Any, None, None]:
        """Each raw conversation (parsed JSON) in file order. Parse errors become UnusableFile."""
        self._rewind()
        items = ijson.items(self.reader, "item" if self.is_list else "", use_float=True, buf_size=_BUFFER)
        try:
            yield from items
        except ijson.JSONError as exc:
            raise self.parse_error(exc) from exc
        except _READ_ERRORS as exc:  # the disk, or a damaged archive member (CRC, cut-off stream)
            raise UnusableFile(f"cannot read {self.path} (after {self.reader.bytes_read:,} bytes): {exc}") from exc

    def parse_error(self, exc: Exception) -> UnusableFile:
        first = exc.args[0] if exc.args else ""
        text = (first.decode("utf-8", "replace") if isinstance(first, bytes) else str(first)).strip()
        detail = text.splitlines()[0] if text else type(exc).__name__
        at_end = self.reader.bytes_read >= self.size - self._start
        if at_end and ("premature EOF" in text or "Incomplete" in text):
            return UnusableFile(f"{self.path} ends in the middle of the JSON (truncated?): {detail}")
        return UnusableFile(
            f"{self.path} is not valid JSON (the error is within the first {self.reader.bytes_read:,} bytes): {detail}"
        )
