"""``gaia-db doctor``: connectivity, server versions, pending migrations, indexes, outbox backlog.

One table with OK/WARN/FAIL per check. Exit code 0 when everything is OK, 1 when something needs attention
(pending migrations, missing indexes, a backlog, a check that failed), 2 when a database cannot be reached.
Passwords never appear: URLs and driver messages are masked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from gaia_adapters.cli.common import (
    MongoUrl,
    PostgresUrl,
    console,
    describe_backends,
    headline,
    require_feature,
    run,
    settings_for,
)
from gaia_adapters.relay.store import DeadEvent
from gaia_adapters.settings import GaiaSettings, mask_url

STYLES = {"OK": "bold green", "WARN": "bold yellow", "FAIL": "bold red"}

Timeout = Annotated[
    float,
    typer.Option("--timeout", min=0.1, help="Seconds to wait for each server before calling it unreachable."),
]


AsJson = Annotated[bool, typer.Option("--json", help="Print the report as JSON (same exit codes).")]


def doctor(
    ctx: typer.Context,
    postgres_url: PostgresUrl = None,
    mongo_url: MongoUrl = None,
    timeout: Timeout = 5.0,
    as_json: AsJson = False,
) -> None:
    """Check the databases: connectivity, versions, pending migrations, missing indexes, outbox backlog.

    Exit codes (its own, for monitoring): 0 everything OK, 1 something needs attention (pending migrations,
    missing indexes, a backlog, dead events, a failed check), 2 a database cannot be reached.
    """
    settings = settings_for(ctx, postgres_url, mongo_url)
    run(lambda: _doctor(settings, connect_timeout=timeout, as_json=as_json))


async def _doctor(settings: GaiaSettings, *, connect_timeout: float, as_json: bool = False) -> int:
    if as_json:
        return await _doctor_json(settings, connect_timeout=connect_timeout)
    headline("gaia-db doctor", f"— {describe_backends(settings)}")
    if settings.backend == "memory":
        console.print(
            "memory backend: no database to check (give --postgres-url and/or --mongo-url, "
            "or set GAIA_POSTGRES_URL/GAIA_MONGO_URL)"
        )
        return 0
    run_checks = require_feature("gaia_adapters.doctor", "run_checks", "gaia-db doctor (the health checks)")
    report = await run_checks(settings, connect_timeout=connect_timeout)
    table = Table(title="Health checks", title_justify="left")
    for column in ("Database", "Check", "Status", "Detail"):
        table.add_column(column, overflow="fold")
    for result in report.results:
        status = Text(result.status.value, style=STYLES[result.status.value])
        table.add_row(result.database, result.check, status, result.detail)
    console.print(table)
    if report.dead_events:
        console.print(dead_events_table(report.dead_events))
    code: int = report.exit_code
    console.print(Text(_verdict(code), style="bold green" if code == 0 else "bold yellow" if code == 1 else "bold red"))
    return code


async def _doctor_json(settings: GaiaSettings, *, connect_timeout: float) -> int:
    data: dict[str, Any] = {"backend": settings.backend, "exit_code": 0, "checks": [], "dead_events": []}
    if settings.backend != "memory":
        run_checks = require_feature("gaia_adapters.doctor", "run_checks", "gaia-db doctor (the health checks)")
        report = await run_checks(settings, connect_timeout=connect_timeout)
        data.update(report.as_json())
    console.print_json(data=data)
    code: int = data["exit_code"]
    return code


def dead_events_table(events: Sequence[DeadEvent]) -> Table:
    table = Table(title="Dead outbox events (oldest first; re-queue: gaia-db relay --retry-dead)", title_justify="left")
    for column in ("Event id", "Type", "Created", "Attempts", "Last error"):
        table.add_column(column, overflow="fold")
    for event in events:
        created = event.created_at.isoformat(timespec="seconds")
        table.add_row(
            str(event.event_id), event.type_name, created, str(event.attempts), mask_url(event.last_error or "")
        )
    return table


def _verdict(code: int) -> str:
    if code == 0:
        return "all checks passed"
    if code == 1:
        return "some checks need attention (exit code 1)"
    return "a database is unreachable (exit code 2)"
