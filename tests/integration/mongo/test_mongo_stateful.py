"""The stateful machine: random operation sequences on the MongoDB store, compared with the in-memory fake."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from gaia_adapters.memory import MemoryConversationStore
from gaia_adapters.mongo.client import close_client, open_client
from gaia_adapters.mongo.collections import CONVERSATIONS, CollectionRegistry
from gaia_adapters.mongo.conversation_store import MongoConversationStore
from gaia_adapters.settings import GaiaSettings
from gaia_domain.ports import ConversationStore
from gaia_domain.testing.stateful import conversation_store_machine

pytestmark = pytest.mark.integration

# Each step is a few round trips to a slow test server; keep the default run short, deepen it on demand.
MACHINE_SETTINGS = settings(
    max_examples=int(os.environ.get("GAIA_STATEFUL_EXAMPLES", "15")),
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    """The machine's own loop (not pytest-asyncio's): the client below is bound to it."""
    with asyncio.Runner() as runner:
        yield runner


@pytest.fixture(scope="module")
def mongo_client_in_runner(runner: asyncio.Runner, mongo_settings: GaiaSettings) -> Iterator[Any]:
    client = runner.run(open_client(mongo_settings))
    name = f"{mongo_settings.mongo_database}_stateful"
    try:
        yield client[name]
    finally:
        runner.run(client.drop_database(name))
        runner.run(close_client(client))


def test_mongo_conversation_store_matches_the_fake(runner: asyncio.Runner, mongo_client_in_runner: Any) -> None:
    registry = CollectionRegistry(mongo_client_in_runner)

    @asynccontextmanager
    async def mongo_store() -> AsyncIterator[ConversationStore]:
        await (await registry.get(CONVERSATIONS)).delete_many({})
        yield MongoConversationStore(registry)

    @asynccontextmanager
    async def memory_store() -> AsyncIterator[ConversationStore]:
        yield MemoryConversationStore()

    run_state_machine_as_test(conversation_store_machine(runner, mongo_store, memory_store), settings=MACHINE_SETTINGS)
