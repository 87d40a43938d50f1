"""``gaia-db import FILE --user EMAIL``: chat exports (ChatGPT, Claude.ai) into a user's conversations.

Streams the file (memory stays flat), writes through the store's bulk path in batches, shows a
progress bar (bytes of the file, conversations and messages per second) on a terminal, then a
summary. Exit codes: 0 all imported or unchanged, 1 some conversations skipped, 2 unusable file,
3 the database failed during the import (re-run: it is idempotent). See docs/import.md.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from gaia_adapters.cli.common import (
    EXIT_BAD_INPUT,
    MongoUrl,
    PostgresUrl,
    console,
    describe_backends,
    err_console,
    fail,
    printable,
    run,
    settings_for,
)
from gaia_adapters.container import Services, build_container, running
from gaia_adapters.importers import (
    ExportFormat,
    ImportOptions,
    ImportReport,
    check_export,
    ensure_user,
    import_export,
)
from gaia_adapters.settings import GaiaSettings, mask_url
from gaia_domain.clock import Clock
from gaia_domain.errors import StoreUnavailable

EXIT_STORE_FAILED = 3  # as ImportReport.exit_code when the database fails during the import
# One real store and one in memory: refused before anything is written.
_HALF_REAL = {
    "mongo": "with users in memory, every run would import the file again for a new owner that vanishes",
    "postgres": "with conversations in memory, the user would be stored but none of the import",
}

ExportFile = Annotated[
    Path,
    typer.Argument(
        metavar="FILE",
        help="A ChatGPT conversations.json or a Claude.ai export, or the .zip archive holding it.",
        show_default=False,
    ),
]
UserEmail = Annotated[
    str, typer.Option("--user", help="Owner of the imported conversations (created when missing).", show_default=False)
]
FormatOption = Annotated[
    ExportFormat | None,
    typer.Option(
        "--format", help="Force the export format instead of detecting it from the content.", show_default=False
    ),
]
AllBranches = Annotated[
    bool,
    typer.Option(
        "--all-branches",
        help="Also import edited and regenerated branches, each as a conversation of its own ('<title> (branch N)').",
    ),
]
BatchSize = Annotated[int, typer.Option("--batch-size", min=1, max=5000, help="Conversations written per bulk insert.")]
NoProgress = Annotated[bool, typer.Option("--no-progress", help="Do not show the progress bar.")]


def import_(
    ctx: typer.Context,
    file: ExportFile,
    user: UserEmail,
    export_format: FormatOption = None,
    all_branches: AllBranches = False,
    batch_size: BatchSize = 200,
    no_progress: NoProgress = False,
    postgres_url: PostgresUrl = None,
    mongo_url: MongoUrl = None,
) -> None:
    """Import a chat export (ChatGPT or Claude.ai) as conversations of a user; importing again adds nothing.

    Exit codes: 0 everything imported or unchanged, 1 some conversations skipped (listed), 2 unusable file,
    3 the database failed (run again to finish). Details: docs/import.md.
    """
    settings = settings_for(ctx, postgres_url, mongo_url)
    if settings.backend in _HALF_REAL:
        fail(
            f"gaia-db import needs both --postgres-url and --mongo-url (or neither, to check a file in memory): "
            f"{_HALF_REAL[settings.backend]}",
            EXIT_BAD_INPUT,
        )
    options = ImportOptions(format=export_format, all_branches=all_branches, batch_conversations=batch_size)
    run(lambda: _import(settings, file, user, options, show_progress=not no_progress))


async def _import(
    settings: GaiaSettings, file: Path, email: str, options: ImportOptions, *, show_progress: bool
) -> int:
    container = build_container(settings)
    try:
        async with running(container) as app:
            console.print(Text(f"gaia-db import — {describe_backends(settings)}", style="bold"))
            if settings.backend == "memory":
                console.print(
                    Text(
                        "memory backend: nothing is kept after this command; "
                        "use --postgres-url/--mongo-url to import for real",
                        style="dim",
                    )
                )
            report = await run_import(app, container.clock(), file, email, options, show_progress=show_progress)
    except StoreUnavailable as exc:  # before the import started (the user lookup): the same code as during it
        line = Text.assemble(("error: database failed: ", "bold red"), mask_url(str(exc).splitlines()[0]))
        err_console.print(line, soft_wrap=True)  # one line, whatever the width
        return EXIT_STORE_FAILED
    return report.exit_code


async def run_import(
    app: Services,
    clock: Clock,
    file: Path,
    email: str,
    options: ImportOptions,
    *,
    out: Console = console,
    err: Console = err_console,
    show_progress: bool = True,
) -> ImportReport:
    """The command's work on running services (tests call it twice on one backend to see idempotency)."""
    # A file that cannot be imported at all must not leave a new user (and their welcome conversation) behind.
    problem = await asyncio.to_thread(check_export, file, options)
    if problem is not None:
        report = ImportReport(path=file, error=problem)
        print_report(report, out, err)
        return report
    owner, created = await ensure_user(app.users, email)
    out.print(f"user {owner.email.value} ({'created' if created else 'existing'}, id {owner.id})")
    with RichImportProgress(err_console, enabled=show_progress and err_console.is_terminal) as progress:
        report = await import_export(
            file, user_id=owner.id, conversations=app.conversations, clock=clock, options=options, progress=progress
        )
    print_report(report, out, err)
    return report


class _RatesColumn(ProgressColumn):
    """Conversations and messages so far, and per second."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        conversations = int(task.fields.get("conversations", 0))
        messages = int(task.fields.get("messages", 0))

        def per_second(count: int) -> str:
            return f"{count / elapsed:,.0f}/s" if elapsed > 0 else "-/s"

        return Text(
            f"{conversations:,} conv {per_second(conversations)} · {messages:,} msg {per_second(messages)}",
            style="cyan",
        )


class RichImportProgress:
    """The pipeline's progress sink drawn with rich, refreshed at most ten times a second."""

    def __init__(self, target: Console, *, enabled: bool = True) -> None:
        self._progress = Progress(
            TextColumn("[bold]import"),
            BarColumn(bar_width=16),
            DownloadColumn(),
            _RatesColumn(),
            TimeElapsedColumn(),
            console=target,
            disable=not enabled,
        )
        self._task: TaskID | None = None
        self._last = 0.0

    def __enter__(self) -> RichImportProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def start(self, total_bytes: int) -> None:
        self._task = self._progress.add_task("import", total=max(total_bytes, 1), conversations=0, messages=0)

    def advance(self, *, bytes_read: int, conversations: int, messages: int) -> None:
        now = time.monotonic()
        if self._task is None or (now - self._last < 0.1 and bytes_read < (self._progress.tasks[0].total or 0)):
            return
        self._last = now
        self._progress.update(self._task, completed=bytes_read, conversations=conversations, messages=messages)


def print_report(report: ImportReport, out: Console, err: Console = err_console) -> None:
    """The tables on ``out``; an unusable file or a failed database as one ``error:`` line (and what to do) on
    ``err``, like every other command's errors."""
    if report.read or report.error is None:  # nothing was read from an unusable file: the error says it all
        out.print(summary_table(report))
    if report.skipped:
        out.print(skipped_table(report))
    if report.error:
        err.print(Text.assemble(("error: unusable file: ", "bold red"), printable(report.error)), soft_wrap=True)
        if report.imported:
            err.print("the conversations read completely before that point were imported (re-running is safe)")
    if report.store_error:
        line = Text.assemble(("error: database failed: ", "bold red"), printable(report.store_error))
        err.print(line, soft_wrap=True)
        err.print("the import stopped there; run the same command again to finish (nothing is imported twice)")


def summary_table(report: ImportReport) -> Table:
    detected = report.format.value if report.format else "-"
    table = Table(title=f"Import of {report.path.name} ({detected}, {report.seconds:.2f} s)")
    table.add_column("")
    table.add_column("conversations", justify="right")
    table.add_column("messages", justify="right")
    messages_imported = f"{report.messages_imported:,}" + ("" if report.messages_imported_exact else " (at most)")
    table.add_row("read", f"{report.read:,}", f"{report.messages_read:,}")
    table.add_row("imported", f"{report.imported:,}", messages_imported)
    table.add_row("unchanged (already imported)", f"{report.unchanged:,}", "")
    table.add_row("skipped", f"{len(report.skipped):,}", "")
    if report.clipped_messages:
        table.add_row("cut to 100,000 characters", "", f"{report.clipped_messages:,}")
    return table


def skipped_table(report: ImportReport) -> Table:
    table = Table(title="Skipped conversations")
    table.add_column("index", justify="right")
    table.add_column("title")
    table.add_column("reason")
    for item in report.skipped:
        table.add_row(str(item.index), item.title or "-", item.reason)
    return table
