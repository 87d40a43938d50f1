"""K07: the MongoDB suite passes on PyMongo's AsyncMongoClient with Motor not importable.

The ConversationStore contract suite (PyMongo async and sync runs) is run again in a subprocess where
``import motor`` fails, against the same server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]

_BLOCK_MOTOR_AND_RUN = """
import sys
sys.modules["motor"] = None  # any "import motor..." now raises ImportError, as if it were not installed
sys.modules["motor.motor_asyncio"] = None
import pytest
sys.exit(pytest.main(sys.argv[1:]))
"""


def test_k07_the_store_works_and_motor_fails_clearly_without_motor(mongo_url: str) -> None:
    code = """
import asyncio, sys
sys.modules["motor"] = None
from gaia_adapters.settings import GaiaSettings
from gaia_adapters.mongo.client import open_client, close_client
from gaia_adapters.mongo.conversation_store import MongoConversationStore
from gaia_adapters.mongo import commands, documents, sync, collections, migrations
from gaia_domain.clock import TickingClock
from gaia_domain.ids import UserId
from gaia_domain.testing import builders

async def main():
    settings = GaiaSettings(mongo_url=sys.argv[1], mongo_database="gaia_k07_probe")
    client = await open_client(settings)
    assert type(client).__module__.startswith("pymongo"), type(client)
    store = MongoConversationStore.for_database(client[settings.mongo_database])
    owner = UserId.new()
    conversation = builders.conversation(TickingClock(), owner, contents=["hi"])
    await store.add(conversation)
    assert await store.get(owner, conversation.id) == conversation
    await client.drop_database(settings.mongo_database)
    await close_client(client)
    try:
        await open_client(settings.model_copy(update={"mongo_driver": "motor"}))
    except RuntimeError as exc:
        assert "Motor" in str(exc), exc
    else:
        raise AssertionError("selecting Motor without Motor must fail clearly")
    assert not [m for m in sys.modules if m.startswith("motor") and sys.modules[m] is not None]
    print("ok")

asyncio.run(main())
"""
    done = subprocess.run(
        [sys.executable, "-c", code, mongo_url], capture_output=True, text=True, timeout=120, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "ok"


@pytest.mark.slow
def test_k07_mongo_suite_passes_with_motor_not_importable(mongo_url: str) -> None:
    targets = [str(HERE / "test_mongo_contract.py")]
    env = {**os.environ, "GAIA_TEST_MONGO_URL": mongo_url, "GAIA_REQUIRE_SERVICES": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _BLOCK_MOTOR_AND_RUN, "-q", "-p", "no:cacheprovider", "-k", "not motor", *targets],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env=env,
        check=False,
    )
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in summary, summary
    assert "failed" not in summary, summary
    assert "error" not in summary, summary
