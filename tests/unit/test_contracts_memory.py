"""The four shipped contract suites, run on the in-memory fakes."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from gaia_adapters.memory import MemoryConversationStore, MemoryDatabase, MemoryUnitOfWork
from gaia_domain.testing.contracts import (
    ConversationStoreContract,
    GoalRepositoryContract,
    OutboxReader,
    StoredEvent,
    UnitOfWorkContract,
    UserRepositoryContract,
)
from gaia_domain.testing.contracts._base import UnitOfWorkFactory


@pytest.fixture
def database() -> MemoryDatabase:
    return MemoryDatabase()


@pytest.fixture
def uow_factory(database: MemoryDatabase) -> UnitOfWorkFactory:
    return lambda: MemoryUnitOfWork(database)


@pytest.fixture
def read_outbox(database: MemoryDatabase) -> OutboxReader:
    async def read() -> Sequence[StoredEvent]:
        return [StoredEvent(r.event_id, r.type_name, r.payload) for r in database.outbox]

    return read


@pytest.fixture
def conversation_store() -> MemoryConversationStore:
    return MemoryConversationStore()


class TestMemoryUserRepository(UserRepositoryContract):
    pass


class TestMemoryGoalRepository(GoalRepositoryContract):
    pass


class TestMemoryUnitOfWork(UnitOfWorkContract):
    pass


class TestMemoryConversationStore(ConversationStoreContract):
    pass
