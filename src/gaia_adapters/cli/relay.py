"""``gaia-db relay``: deliver the outbox's pending events to their handlers (at least once; handlers are idempotent).

* default: run until no event is due, then print a summary (``--wait S`` also waits up to S seconds for events
  that become due meanwhile: retries after their backoff, leases of a process that died);
* ``--follow``: keep polling (every ``GAIA_RELAY_POLL_INTERVAL_SECONDS``) until Ctrl-C / SIGTERM, which finish
  the event in hand and stop normally (exit code as below, not 130);
* ``--retry-dead``: first re-queue the events parked as dead (``gaia-db doctor`` lists them);
* ``--purge-dispatched DAYS``: afterwards delete the dispatched rows finished more than DAYS days ago;
* ``--handlers module:function`` (repeatable, or ``GAIA_RELAY_HANDLERS`` separated by commas): the application's
  own handlers, added to the registry before the relay starts (see docs/consistency.md).

Exit code 0 when every delivered event was handled, 1 when some failed (rescheduled or parked as dead), 2 for bad
options: a handler installer that cannot be loaded, or a PostgreSQL outbox without ``--mongo-url`` (its handlers
would write into memory and the events would be marked done).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator, Sequence
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from gaia_adapters.cli.common import (
    EXIT_BAD_INPUT,
    MongoUrl,
    PostgresUrl,
    console,
    describe_backends,
    fail,
    headline,
    run,
    settings_for,
)
from gaia_adapters.container import Container, build_container, resolve, running
from gaia_adapters.relay import Backlog, OutboxRelay, RelayReport, load_installer
from gaia_adapters.settings import GaiaSettings

Follow = Annotated[bool, typer.Option("--follow", help="Keep polling for new events until interrupted (Ctrl-C).")]
RetryDead = Annotated[bool, typer.Option("--retry-dead", help="Re-queue the events parked as dead, then relay them.")]
Handlers = Annotated[
    list[str] | None,
    typer.Option(
        "--handlers",
        envvar="GAIA_RELAY_HANDLERS",
        help="module:function that adds the application's handlers to the registry (repeatable).",
        show_default=False,
    ),
]
Purge = Annotated[
    float | None,
    typer.Option(
        "--purge-dispatched",
        min=0.0,
        metavar="DAYS",
        help="Afterwards, delete dispatched events finished more than DAYS days ago (history only).",
        show_default=False,
    ),
]
Wait = Annotated[
    float,
    typer.Option("--wait", min=0.0, help="Also wait up to SECONDS for events that become due meanwhile (retries)."),
]


def relay(
    ctx: typer.Context,
    follow: Follow = False,
    retry_dead: RetryDead = False,
    handlers: Handlers = None,
    wait: Wait = 0.0,
    purge_dispatched: Purge = None,
    postgres_url: PostgresUrl = None,
    mongo_url: MongoUrl = None,
) -> None:
    """Dispatch pending outbox events (welcome conversations, deleted users' conversations, goal messages, ...)."""
    settings = settings_for(ctx, postgres_url, mongo_url)
    specs = [spec.strip() for given in handlers or () for spec in given.split(",") if spec.strip()]
    run(
        lambda: run_relay(
            settings,
            follow=follow,
            retry_dead=retry_dead,
            handlers=specs,
            wait_seconds=wait,
            purge_dispatched_days=purge_dispatched,
        )
    )


def install_handlers(container: Container, specs: Sequence[str]) -> None:
    registry = container.handler_registry()
    for spec in specs:
        try:
            installer = load_installer(spec)
        except (ImportError, ValueError) as exc:
            fail(f"--handlers {spec}: {exc}", EXIT_BAD_INPUT)
        installer(registry)


async def run_relay(
    settings: GaiaSettings,
    *,
    follow: bool = False,
    retry_dead: bool = False,
    handlers: Sequence[str] = (),
    wait_seconds: float = 0.0,
    purge_dispatched_days: float | None = None,
    stop: asyncio.Event | None = None,
    container: Container | None = None,
) -> int:
    """The command without its parsing (tests call it): relay, print the summary, return the exit code."""
    if settings.backend == "postgres":
        fail(
            "gaia-db relay with a PostgreSQL outbox needs --mongo-url too: its handlers would write into an in-memory "
            "conversation store and mark the events done, and their MongoDB effects would be lost for good",
            EXIT_BAD_INPUT,
        )
    headline("gaia-db relay", f"— {describe_backends(settings)}")
    if settings.backend in ("memory", "mongo"):
        console.print("memory outbox: only this process's events are in it (give --postgres-url to relay a database)")
    container = container or build_container(settings)
    install_handlers(container, handlers)
    async with running(container):
        outbox_relay: OutboxRelay = await resolve(container.outbox_relay)
        if retry_dead:
            requeued = await outbox_relay.retry_dead()
            console.print(f"re-queued {requeued} dead events")
        before = await outbox_relay.backlog()
        console.print(_backlog_line("before", before))
        if follow:
            report = await _follow(outbox_relay, stop or asyncio.Event())
        else:
            report = await _drain(outbox_relay, before, wait_seconds)
        after = await outbox_relay.backlog()
        if purge_dispatched_days is not None:
            purged = await outbox_relay.store.purge_dispatched(purge_dispatched_days * 86_400)
            console.print(f"purged {purged} dispatched events older than {purge_dispatched_days:g} days")
    console.print(summary_table(report))
    console.print(_backlog_line("after", after))
    failed = report.retried + report.dead + report.lost
    if failed:
        line = f"{failed} events failed; their errors are logged above and kept in the outbox (last_error)"
        console.print(Text(line, style="bold yellow"))
    return 1 if failed else 0


async def _drain(outbox_relay: OutboxRelay, before: Backlog, wait_seconds: float) -> RelayReport:
    columns = (TextColumn("relaying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("relay", total=before.due or None)

        def advance(report: RelayReport) -> None:
            done = progress.tasks[0].completed + report.handled  # parked events count as handled (dead)
            total = progress.tasks[0].total
            progress.update(task, completed=done, total=max(total or 0, done))

        return await outbox_relay.drain(wait_seconds=wait_seconds, on_batch=advance)


async def _follow(outbox_relay: OutboxRelay, stop: asyncio.Event) -> RelayReport:
    console.print("following the outbox; Ctrl-C to stop")

    def show(report: RelayReport) -> None:
        console.print(
            f"batch: {report.claimed} claimed, {report.done} done, {report.retried} retried, {report.dead} dead"
        )

    def unreachable(error: BaseException) -> None:
        console.print(Text(f"outbox unreachable, polling again: {type(error).__name__}", style="yellow"))

    with _stop_on_signals(stop):
        return await outbox_relay.follow(stop, on_batch=show, on_error=unreachable)


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGINT/SIGTERM finish the event in hand, then stop (the leases of the rest run out or are finished)."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread / platform
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def summary_table(report: RelayReport) -> Table:
    table = Table(title="Relay summary", title_justify="left")
    for column in ("Event type / outcome", "Events"):
        table.add_column(column)
    for type_name, count in sorted(report.by_type.items()):
        table.add_row(type_name, str(count))
    table.add_section()
    table.add_row("done", str(report.done))
    table.add_row("retry scheduled", str(report.retried))
    table.add_row("parked as dead", str(report.dead))
    if report.lost:
        table.add_row("lease taken over", str(report.lost))
    if report.left:
        table.add_row("left for the next claim", str(report.left))
    return table


def _backlog_line(label: str, backlog: Backlog) -> str:
    waiting = backlog.pending - backlog.due
    line = f"outbox {label}: {backlog.due} due, {waiting} waiting, {backlog.dead} dead"
    if backlog.next_due_in is not None:
        line += f" (next due in {backlog.next_due_in:.1f} s)"
    return line
