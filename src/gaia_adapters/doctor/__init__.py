"""Health checks of the configured databases (``gaia-db doctor``): connectivity and server versions, pending
migrations, missing indexes and the outbox backlog. Read-only; every detail has its password masked.

The adapters are imported only for the databases that are configured, so the checks run on an installation
that has only one of the drivers.
"""

from __future__ import annotations

from collections.abc import Sequence

from gaia_adapters.doctor.report import (
    EXIT_ATTENTION,
    EXIT_OK,
    EXIT_UNREACHABLE,
    CheckResult,
    Report,
    Status,
)
from gaia_adapters.relay.store import DeadEvent
from gaia_adapters.settings import GaiaSettings

DEFAULT_TIMEOUT = 5.0


async def run_checks(settings: GaiaSettings, *, connect_timeout: float = DEFAULT_TIMEOUT) -> Report:
    """Check every configured database; an empty report on the memory backend (nothing to check)."""
    results: list[CheckResult] = []
    dead_events: Sequence[DeadEvent] = ()
    postgres_url = settings.postgres_url_value()
    if postgres_url:
        from gaia_adapters.doctor.postgres import postgres_checks

        findings = await postgres_checks(postgres_url, connect_timeout=connect_timeout)
        results.extend(findings.results)
        dead_events = findings.dead_events
    if settings.mongo_url_value():
        from gaia_adapters.doctor.mongo import mongo_checks

        results.extend(await mongo_checks(settings, connect_timeout=connect_timeout))
    return Report(tuple(results), tuple(dead_events))


__all__ = [
    "DEFAULT_TIMEOUT",
    "EXIT_ATTENTION",
    "EXIT_OK",
    "EXIT_UNREACHABLE",
    "CheckResult",
    "Report",
    "Status",
    "run_checks",
]
