"""Dead events end to end with the real commands: a handler keeps failing, ``gaia-db relay`` parks the events,
``gaia-db doctor`` lists them with their last error, ``gaia-db relay --retry-dead`` delivers them once fixed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from consistency_probe import COLLECTION, RelayProbe
from pymongo import MongoClient

from gaia_adapters.settings import GaiaSettings
from gaia_domain.clock import SystemClock
from gaia_domain.ports import UnitOfWork

HERE = Path(__file__).parent

pytestmark = pytest.mark.integration


def gaia_db(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("gaia-db")), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


async def test_dead_events_are_listed_by_doctor_and_requeued_by_retry_dead(
    pg_uow_factory: Callable[[], UnitOfWork],
    pg_url: str,
    mongo_settings: GaiaSettings,
    sync_mongo_client: MongoClient[dict[str, Any]],
) -> None:
    deliveries = sync_mongo_client[mongo_settings.mongo_database][COLLECTION]
    deliveries.delete_many({})
    events = [RelayProbe(occurred_at=SystemClock().now(), number=n) for n in range(3)]
    async with pg_uow_factory() as uow:
        await uow.outbox.add(events)
        await uow.commit()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAIA_")}
    env.update(
        GAIA_POSTGRES_URL=pg_url,
        GAIA_MONGO_URL=mongo_settings.mongo_url_value() or "",
        GAIA_MONGO_DATABASE=mongo_settings.mongo_database,
        GAIA_RELAY_MAX_ATTEMPTS="2",
        GAIA_RELAY_BACKOFF_BASE_SECONDS="0.05",
        PYTHONPATH=os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]),
        COLUMNS="200",
    )

    failing = await asyncio.to_thread(
        gaia_db, env, "relay", "--wait", "5", "--handlers", "consistency_probe:install_refusing"
    )
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "parked as dead" in failing.stdout

    doctor = await asyncio.to_thread(gaia_db, env, "doctor")
    assert doctor.returncode == 1, doctor.stdout + doctor.stderr
    for event in events:
        assert str(event.event_id) in doctor.stdout
    assert "refuse_deliveries: RuntimeError: probe 0 refused" in doctor.stdout
    assert "3 dead" in doctor.stdout

    fixed = await asyncio.to_thread(gaia_db, env, "relay", "--retry-dead", "--handlers", "consistency_probe:install")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "re-queued 3 dead events" in fixed.stdout
    assert sorted(d["number"] for d in deliveries.find({"deliveries": 1})) == [0, 1, 2]
    conn = await asyncpg.connect(pg_url)
    try:
        rows = await conn.fetch("SELECT status, attempts, last_error FROM outbox ORDER BY seq")
    finally:
        await conn.close()
    # Re-queueing starts a fresh count; the error of the failed attempts stays as history.
    assert [(r[0], r[1]) for r in rows] == [("dispatched", 1)] * 3
    assert all("probe" in r[2] for r in rows)
