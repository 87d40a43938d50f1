"""The stateful machines on the fakes, compared with the independent reference models."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from gaia_adapters.memory import MemoryConversationStore, MemoryDatabase, MemoryUnitOfWork
from gaia_domain.ports import ConversationStore
from gaia_domain.testing.contracts._base import UnitOfWorkFactory
from gaia_domain.testing.stateful import conversation_store_machine, unit_of_work_machine

MACHINE_SETTINGS = settings(
    max_examples=50, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as runner:
        yield runner


@asynccontextmanager
async def memory_store() -> AsyncIterator[ConversationStore]:
    yield MemoryConversationStore()


@asynccontextmanager
async def memory_units_of_work() -> AsyncIterator[UnitOfWorkFactory]:
    database = MemoryDatabase()
    yield lambda: MemoryUnitOfWork(database)


def test_memory_conversation_store_matches_the_reference_model(runner: asyncio.Runner) -> None:
    run_state_machine_as_test(conversation_store_machine(runner, memory_store), settings=MACHINE_SETTINGS)


def test_memory_units_of_work_match_the_reference_model(runner: asyncio.Runner) -> None:
    run_state_machine_as_test(unit_of_work_machine(runner, memory_units_of_work), settings=MACHINE_SETTINGS)
