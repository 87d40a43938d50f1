"""Health checks of the configured databases (``gaia-db doctor``): connectivity and server versions, pending
migrations, missing indexes and the outbox backlog. Read-only; every detail has its password masked.

The adapters are imported only for the databases that are configured, so the checks run on an installation
that has only one of the drivers.
"""

from __future__ import annotations

import asyncio
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
    """Check every configured database (both at once: an unreachable one costs its timeout only once); an empty
    report on the memory backend (nothing to check). PostgreSQL's rows come first."""
    postgres_url = settings.postgres_url_value()
    postgres = _postgres(postgres_url, connect_timeout) if postgres_url else _nothing_postgres()
    mongo = _mongo(settings, connect_timeout) if settings.mongo_url_value() else _nothing_mongo()
    (pg_results, dead_events), mongo_results = await asyncio.gather(postgres, mongo)
    return Report((*pg_results, *mongo_results), tuple(dead_events))


async def _postgres(url: str, connect_timeout: float) -> tuple[list[CheckResult], Sequence[DeadEvent]]:
    from gaia_adapters.doctor.postgres import postgres_checks  # only with the postgres extra installed

    findings = await postgres_checks(url, connect_timeout=connect_timeout)
    return findings.results, findings.dead_events


async def _mongo(settings: GaiaSettings, connect_timeout: float) -> list[CheckResult]:
    from gaia_adapters.doctor.mongo import mongo_checks  # only with the mongo extra installed

    return await mongo_checks(settings, connect_timeout=connect_timeout)


async def _nothing_postgres() -> tuple[list[CheckResult], Sequence[DeadEvent]]:
    return [], ()


async def _nothing_mongo() -> list[CheckResult]:
    return []


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
