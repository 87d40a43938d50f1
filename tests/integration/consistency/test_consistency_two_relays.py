"""Two ``gaia-db relay`` processes at the same time over 1,000 pending events: each event is handled exactly once.

The handler (``consistency_probe``) counts its invocations per event id in MongoDB, so a double delivery would
show as a count of 2; both relays must have taken part (their pids are recorded with each delivery).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
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

EVENTS = 1000
HERE = Path(__file__).parent

pytestmark = pytest.mark.integration


async def test_two_relays_at_once_deliver_each_of_1000_events_exactly_once(
    pg_uow_factory: Callable[[], UnitOfWork],
    pg_url: str,
    mongo_settings: GaiaSettings,
    sync_mongo_client: MongoClient[dict[str, Any]],
    tmp_path: Path,
) -> None:
    deliveries = sync_mongo_client[mongo_settings.mongo_database][COLLECTION]
    deliveries.delete_many({})
    now = SystemClock().now()
    async with pg_uow_factory() as uow:
        await uow.outbox.add([RelayProbe(occurred_at=now, number=n) for n in range(EVENTS)])
        await uow.commit()

    env = {k: v for k, v in os.environ.items() if not k.startswith("GAIA_")}
    env.update(
        GAIA_POSTGRES_URL=pg_url,
        GAIA_MONGO_URL=mongo_settings.mongo_url_value() or "",
        GAIA_MONGO_DATABASE=mongo_settings.mongo_database,
        GAIA_RELAY_BATCH_SIZE="20",  # many small claims, so the two relays interleave all the way
        PROBE_DIR=str(tmp_path),
        PYTHONPATH=os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]),
    )
    relays, outputs, took = await asyncio.to_thread(run_two_relays, env, tmp_path)
    assert [r.returncode for r in relays] == [0, 0], outputs

    counted = list(deliveries.find({}))
    assert len(counted) == EVENTS, "every event handled"
    twice = [d for d in counted if d["deliveries"] != 1]
    assert twice == [], f"{len(twice)} events handled more than once"
    by_relay = Counter(d["relays"][0] for d in counted)
    assert set(by_relay) == {r.pid for r in relays}, f"both relays took part: {by_relay}"
    conn = await asyncpg.connect(pg_url)
    try:
        rows = await conn.fetch("SELECT status, attempts, count(*) FROM outbox GROUP BY status, attempts")
    finally:
        await conn.close()
    assert [tuple(r) for r in rows] == [("dispatched", 1, EVENTS)]
    print(f"two relays: {EVENTS} events in {took:.1f} s, split {sorted(by_relay.values())}, none twice")


def run_two_relays(env: dict[str, str], folder: Path) -> tuple[list[subprocess.Popen[str]], list[str], float]:
    """Start two ``gaia-db relay`` processes, release them at the same instant, wait for both to finish."""
    command = [str(Path(sys.executable).with_name("gaia-db")), "relay", "--handlers", "consistency_probe:install"]
    relays = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 60
        while len(list(folder.glob("ready-*"))) < 2:
            assert time.monotonic() < deadline, "the relays did not reach the start line"
            assert all(r.poll() is None for r in relays), [r.communicate()[0] for r in relays if r.poll() is not None]
            time.sleep(0.01)
        started = time.monotonic()
        (folder / "go").touch()
        outputs = [r.communicate(timeout=180)[0] for r in relays]
        return relays, outputs, time.monotonic() - started
    finally:
        for r in relays:
            if r.poll() is None:
                r.kill()
                r.wait()
