"""The import use case: stream an export, build domain Conversations, write them in bulk batches.

Guarantees (docs/import.md):

* memory: one raw conversation plus the current batch, whatever the file's size;
* a conversation is written whole or not at all (each is one document in one bulk insert);
* ids derive from the owner and the export's own ids, so a second import of the same file inserts nothing;
* a broken conversation is skipped and reported (index, title, reason); the others are imported;
* a file that cannot be read gives ``error``; conversations read completely before the
  point where the file breaks are kept (they are whole, and a re-run is idempotent).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from gaia_adapters.importers import chatgpt, claude
from gaia_adapters.importers.building import BuildContext, Built, ParsedConversation, build
from gaia_adapters.importers.errors import BrokenConversation, UnusableFile
from gaia_adapters.importers.stream import ExportFile, ExportFormat
from gaia_domain.clock import Clock
from gaia_domain.conversations import Conversation
from gaia_domain.errors import DuplicateEmail, NotFound, StoreUnavailable
from gaia_domain.ids import UserId
from gaia_domain.services import ConversationService, UserService
from gaia_domain.users import MAX_NAME, Email, User


class _Parser(Protocol):
    def __call__(self, raw: object, ctx: BuildContext) -> ParsedConversation: ...


_PARSERS: dict[ExportFormat, tuple[_Parser, Callable[[dict[str, Any]], str]]] = {
    ExportFormat.CHATGPT: (chatgpt.parse, chatgpt.title_of),
    ExportFormat.CLAUDE: (claude.parse, claude.title_of),
}


@dataclass(frozen=True, slots=True)
class ImportOptions:
    format: ExportFormat | None = None  # None: detect from the content
    all_branches: bool = False  # also import edited/regenerated branches, as separate conversations
    # A batch is written when any limit is reached: memory stays bounded whatever the messages' sizes.
    batch_conversations: int = 200
    batch_messages: int = 10_000
    batch_bytes: int = 16_000_000  # estimated stored size


@dataclass(frozen=True, slots=True)
class SkippedConversation:
    index: int  # position in the file, 0-based (jq '.[index]')
    title: str
    reason: str


@dataclass(slots=True)
class ImportReport:
    path: Path
    format: ExportFormat | None = None
    bytes_total: int = 0
    read: int = 0  # conversations read from the file
    imported: int = 0  # conversations inserted (with --all-branches, branches count one each)
    unchanged: int = 0  # conversations that were already there (same derived id)
    skipped: list[SkippedConversation] = field(default_factory=list)
    messages_read: int = 0  # visible messages of the conversations that were built
    messages_imported: int = 0
    messages_imported_exact: bool = True  # False when a batch was partly new (see docs/import.md)
    clipped_messages: int = 0
    error: str | None = None  # the file could not be read (to its end)
    store_error: str | None = None  # the database failed; the import stopped there
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """0: all imported or unchanged; 1: some conversations skipped; 2: unusable file; 3: the database failed."""
        if self.store_error is not None:
            return 3
        if self.error is not None:
            return 2
        return 1 if self.skipped else 0


class ImportProgress(Protocol):
    """Told how far the import got. ``advance`` is called from the worker thread that reads the file."""

    def start(self, total_bytes: int) -> None: ...

    def advance(self, *, bytes_read: int, conversations: int, messages: int) -> None: ...


class _NoProgress:
    def start(self, total_bytes: int) -> None:
        pass

    def advance(self, *, bytes_read: int, conversations: int, messages: int) -> None:
        pass


@dataclass(slots=True)
class _Batch:
    conversations: list[Conversation] = field(default_factory=list)
    messages: int = 0
    bytes: int = 0


async def ensure_user(users: UserService, email: str) -> tuple[User, bool]:
    """The user with this email, registered (named after the address) when missing; True when created."""
    try:
        return await users.get_by_email(email), False
    except NotFound:
        pass
    address = Email(email)
    try:
        return await users.register(email=address.value, name=address.value.split("@")[0][:MAX_NAME]), True
    except DuplicateEmail:  # registered by someone else meanwhile
        return await users.get_by_email(email), False


def check_export(path: str | os.PathLike[str], options: ImportOptions = ImportOptions()) -> str | None:
    """Why the file cannot be imported at all (missing, not JSON, cut inside its first conversation, unknown
    format), or None. Reads the first conversation (parsed, not built): run it before anything is stored (the
    owner)."""
    try:
        with ExportFile(path) as export:
            if options.format is None:
                export.detect_format()
            first = export.conversations()
            try:
                next(first, None)  # a first conversation that does not parse is the file's fault
            finally:
                first.close()
    except UnusableFile as exc:
        return str(exc)
    return None


async def import_export(
    path: str | os.PathLike[str],
    *,
    user_id: UserId,
    conversations: ConversationService,
    clock: Clock,
    options: ImportOptions = ImportOptions(),
    progress: ImportProgress | None = None,
) -> ImportReport:
    """Import every conversation of the export at ``path`` for ``user_id``; never raises for bad input."""
    run = _ImportRun(Path(path), conversations, options, progress or _NoProgress())
    started = time.perf_counter()
    try:
        with ExportFile(path) as export:
            await run.read(export, BuildContext(user_id=user_id, now=clock.now(), all_branches=options.all_branches))
    except UnusableFile as exc:
        run.report.error = str(exc)
    except StoreUnavailable as exc:
        # The batch being written may or may not have landed; a re-run completes it without duplicates.
        run.report.store_error = str(exc)
    run.report.seconds = time.perf_counter() - started
    return run.report


class _ImportRun:
    """One import: the report being filled, the current batch, the ids seen so far in the file."""

    def __init__(
        self, path: Path, conversations: ConversationService, options: ImportOptions, progress: ImportProgress
    ) -> None:
        self.report = ImportReport(path=path)
        self._service = conversations
        self._options = options
        self._progress = progress
        self._batch = _Batch()
        self._first_index: dict[str, int] = {}  # conversation id -> index in the file (duplicates are reported)

    async def read(self, export: ExportFile, ctx: BuildContext) -> None:
        report = self.report
        report.bytes_total = export.size
        self._progress.start(export.size)
        report.format = self._options.format or await asyncio.to_thread(export.detect_format)
        if report.format is None:  # an empty list
            return
        parse, title_of = _PARSERS[report.format]
        items = enumerate(export.conversations())

        def fill_batch() -> bool:
            """Read and build conversations until the batch is full (False) or the file ends (True)."""
            for index, raw in items:
                report.read += 1
                try:
                    built = build(parse(raw, ctx), ctx)
                    self._check_unique(built.conversations, index)
                except BrokenConversation as exc:
                    report.skipped.append(SkippedConversation(index, _title(title_of, raw), exc.reason))
                    continue
                except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
                    # A shape the parsers do not foresee (the hostile-input tests find none) must still
                    # cost only this conversation, never the rest of the file.
                    reason = f"unreadable ({type(exc).__name__}: {str(exc)[:120]})"
                    report.skipped.append(SkippedConversation(index, _title(title_of, raw), reason))
                    continue
                self._add(built)
                self._advance(export.reader.bytes_read)
                if self._batch_full():
                    return False
            return True

        done = False
        while not done:
            try:
                # Reading and building is CPU work: a worker thread does it, so the event loop stays free
                # (a server importing an upload keeps serving). Batches alternate with their writes.
                done = await asyncio.to_thread(fill_batch)
            except UnusableFile as exc:
                # Whole conversations read before the file broke are still written: see docs/import.md.
                report.error = str(exc)
                done = True
            await self._flush()
        self._advance(export.size)

    def _add(self, built: Built) -> None:
        self._batch.conversations.extend(built.conversations)
        self._batch.messages += built.messages
        self._batch.bytes += built.bytes
        self.report.messages_read += built.messages
        self.report.clipped_messages += built.clipped_messages

    def _batch_full(self) -> bool:
        batch, options = self._batch, self._options
        return (
            len(batch.conversations) >= options.batch_conversations
            or batch.messages >= options.batch_messages
            or batch.bytes >= options.batch_bytes
        )

    async def _flush(self) -> None:
        batch, report = self._batch, self.report
        if not batch.conversations:
            return
        inserted = await self._service.import_conversations(batch.conversations)
        report.imported += inserted
        report.unchanged += len(batch.conversations) - inserted
        if inserted:
            report.messages_imported += batch.messages
            # add_many reports a count, not which ones: a partly new batch's messages are an upper bound
            report.messages_imported_exact &= inserted == len(batch.conversations)
        self._batch = _Batch()

    def _advance(self, bytes_read: int) -> None:
        report = self.report
        self._progress.advance(bytes_read=bytes_read, conversations=report.read, messages=report.messages_read)

    def _check_unique(self, built: list[Conversation], index: int) -> None:
        """The same export id twice in one file would silently count as "unchanged": report it instead."""
        for conversation in built:
            earlier = self._first_index.setdefault(conversation.id.value, index)
            if earlier != index:
                raise BrokenConversation(f"the same conversation id as the conversation at index {earlier}")


def _title(title_of: Callable[[dict[str, Any]], str], raw: object) -> str:
    return title_of(raw) if isinstance(raw, dict) else ""
