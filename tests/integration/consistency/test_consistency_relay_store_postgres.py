"""The relay's outbox contract on real PostgreSQL (leases, SKIP LOCKED claims, backoff, dead events)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gaia_adapters.postgres.outbox_relay import PostgresOutboxRelayStore
from gaia_adapters.relay.contract import OutboxRelayStoreContract


@pytest.fixture
def relay_store(pg_engine: AsyncEngine, pg_clean: None) -> PostgresOutboxRelayStore:
    return PostgresOutboxRelayStore(pg_engine)


class TestPostgresOutboxRelayStore(OutboxRelayStoreContract):
    pass
