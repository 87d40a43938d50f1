"""The FastAPI example on PostgreSQL + MongoDB: the same API suite as on the memory backend, and a MongoDB
that cannot be reached answering 503 while PostgreSQL writes still succeed."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
import pytest_asyncio
from examples.fastapi_app.app import create_app
from examples.fastapi_app.tests.client import lifespan_client
from examples.fastapi_app.tests.suite import FastApiAppSuite

from gaia_adapters.settings import GaiaSettings
from gaia_domain.clock import TickingClock
from gaia_domain.ports import ConversationStore

pytestmark = pytest.mark.integration


@pytest.fixture
def database_settings(pg_url: str, mongo_settings: GaiaSettings, pg_clean: None) -> GaiaSettings:
    """Both real databases, PostgreSQL emptied for the test (``pg_clean``)."""
    return mongo_settings.model_copy(update={"postgres_url": GaiaSettings(postgres_url=pg_url).postgres_url})


async def sessions_idle_in_transaction(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT left(query, 80) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
        )
    finally:
        await conn.close()
    return [str(row[0]) for row in rows]


@pytest_asyncio.fixture
async def client(
    database_settings: GaiaSettings, conversation_store: ConversationStore, pg_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    # ``conversation_store`` (support.mongo) empties the conversations collection before the test.
    app = create_app(database_settings, clock=TickingClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC)))
    async with lifespan_client(app) as running:
        yield running
    # Every request's unit of work ended: no session of the app is left inside a transaction.
    assert await sessions_idle_in_transaction(pg_url) == []


@pytest.fixture
def expected_backend() -> str:
    return "postgres+mongo"


class TestFastApiAppOnDatabases(FastApiAppSuite):
    pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_an_unreachable_mongodb_is_503_while_postgres_writes_succeed(database_settings: GaiaSettings) -> None:
    settings = database_settings.model_copy(
        update={
            "mongo_url": GaiaSettings(mongo_url=f"mongodb://gaia:pa55word@127.0.0.1:{_free_port()}/").mongo_url,
            "mongo_server_selection_timeout_ms": 300,
        }
    )
    app = create_app(settings)
    async with lifespan_client(app) as client:
        # The user lives in PostgreSQL: registering succeeds; the welcome conversation is left to the relay.
        created = await client.post("/users", json={"email": "offline@example.org", "name": "Off"})
        assert created.status_code == 201, created.text
        user = created.json()
        assert (await client.get(f"/users/{user['id']}")).json() == user
        listed = await client.get(f"/users/{user['id']}/conversations")
        assert listed.status_code == 503
        assert listed.headers["retry-after"] == "5"
        body = listed.json()
        assert (body["error"], body["store"]) == ("store_unavailable", "mongodb")
        assert "pa55word" not in listed.text
