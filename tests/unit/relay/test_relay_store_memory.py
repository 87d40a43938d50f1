"""The relay's outbox contract on the in-memory twin (the same suite runs on PostgreSQL in tests/integration)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gaia_adapters.memory import MemoryDatabase, MemoryUnitOfWork
from gaia_adapters.memory.outbox_relay import MemoryOutboxRelayStore
from gaia_adapters.relay.contract import OutboxRelayStoreContract
from gaia_domain.ports import UnitOfWork


@pytest.fixture
def database() -> MemoryDatabase:
    return MemoryDatabase()


@pytest.fixture
def relay_store(database: MemoryDatabase) -> MemoryOutboxRelayStore:
    return MemoryOutboxRelayStore(database)


@pytest.fixture
def uow_factory(database: MemoryDatabase) -> Callable[[], UnitOfWork]:
    return lambda: MemoryUnitOfWork(database)


class TestMemoryOutboxRelayStore(OutboxRelayStoreContract):
    pass
