"""``gaia-db relay --follow`` as a service: it delivers events committed while it runs and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from consistency_probe import COLLECTION, RelayProbe, install
from consistency_probe import close as close_probe
from pydantic import SecretStr
from pymongo import MongoClient

from gaia_adapters.container import build_container, resolve, running
from gaia_adapters.settings import GaiaSettings
from gaia_domain.clock import SystemClock
from gaia_domain.ports import UnitOfWork

HERE = Path(__file__).parent

pytestmark = pytest.mark.integration


def start_follower(env: dict[str, str]) -> subprocess.Popen[str]:
    command = [str(Path(sys.executable).with_name("gaia-db")), "relay", "--follow"]
    command += ["--handlers", "consistency_probe:install"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    for line in process.stdout:  # ready once it says so
        if "following the outbox" in line:
            return process
    raise AssertionError(f"the follower exited early with {process.wait()}")


def wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


async def test_follow_delivers_new_events_and_stops_on_sigterm(
    pg_uow_factory: Callable[[], UnitOfWork],
    pg_url: str,
    mongo_settings: GaiaSettings,
    sync_mongo_client: MongoClient[dict[str, Any]],
) -> None:
    deliveries = sync_mongo_client[mongo_settings.mongo_database][COLLECTION]
    deliveries.delete_many({})
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAIA_")}
    env.update(
        GAIA_POSTGRES_URL=pg_url,
        GAIA_MONGO_URL=mongo_settings.mongo_url_value() or "",
        GAIA_MONGO_DATABASE=mongo_settings.mongo_database,
        GAIA_RELAY_POLL_INTERVAL_SECONDS="0.05",
        PYTHONPATH=os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]),
    )
    follower = await asyncio.to_thread(start_follower, env)
    try:
        for round_ in range(3):  # events committed while it runs, in three separate transactions
            async with pg_uow_factory() as uow:
                await uow.outbox.add(
                    [RelayProbe(occurred_at=SystemClock().now(), number=round_ * 10 + n) for n in range(5)]
                )
                await uow.commit()
        await asyncio.to_thread(wait_for, lambda: deliveries.count_documents({}) == 15, 30)
        follower.send_signal(signal.SIGTERM)
        output, _ = await asyncio.to_thread(follower.communicate, None, 30)
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()
    assert follower.returncode == 0, output
    assert "RelayProbe" in output
    assert deliveries.count_documents({"deliveries": {"$ne": 1}}) == 0


async def test_the_dispatcher_and_a_following_relay_never_both_deliver_an_event(
    pg_url: str,
    pg_clean: None,
    mongo_settings: GaiaSettings,
    sync_mongo_client: MongoClient[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Events dispatched in-process right after their commit while a relay polls every 10 ms: each handled once."""
    deliveries = sync_mongo_client[mongo_settings.mongo_database][COLLECTION]
    deliveries.delete_many({})
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAIA_")}
    env.update(
        GAIA_POSTGRES_URL=pg_url,
        GAIA_MONGO_URL=mongo_settings.mongo_url_value() or "",
        GAIA_MONGO_DATABASE=mongo_settings.mongo_database,
        GAIA_RELAY_POLL_INTERVAL_SECONDS="0.01",
        PYTHONPATH=os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]),
    )
    for name in ("GAIA_MONGO_URL", "GAIA_MONGO_DATABASE"):  # what the probe handler reads in this process too
        monkeypatch.setenv(name, env[name])
    settings = mongo_settings.model_copy(update={"postgres_url": SecretStr(pg_url)})
    container = build_container(settings)
    install(container.handler_registry())
    follower = await asyncio.to_thread(start_follower, env)
    try:
        async with running(container):
            uow_factory = await resolve(container.unit_of_work_factory)
            dispatcher = await resolve(container.event_dispatcher)
            for round_ in range(20):
                events = [RelayProbe(occurred_at=SystemClock().now(), number=round_ * 10 + n) for n in range(10)]
                async with uow_factory() as uow:
                    await uow.outbox.add(events)
                    await uow.commit()
                await dispatcher.after_commit(events)  # races the follower for each event
        await close_probe()
        await asyncio.to_thread(wait_for, lambda: deliveries.count_documents({}) == 200, 30)
        follower.send_signal(signal.SIGTERM)
        output, _ = await asyncio.to_thread(follower.communicate, None, 30)
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()
    assert follower.returncode == 0, output
    assert deliveries.count_documents({"deliveries": {"$ne": 1}}) == 0, "an event was delivered twice"
    split = Counter(d["relays"][0] for d in deliveries.find({}))
    assert sum(split.values()) == 200
    print(f"dispatcher (pid {os.getpid()}) and follower (pid {follower.pid}) delivered {dict(split)}")
