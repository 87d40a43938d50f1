"""The container's ``postgres`` backend: the engine is an async resource, disposed exactly once (K11)."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gaia_adapters.container import build_container, resolve, running, shutdown
from gaia_adapters.postgres.outbox_relay import PostgresOutboxRelayStore
from gaia_adapters.postgres.unit_of_work import PostgresUnitOfWork
from gaia_adapters.settings import GaiaSettings
from gaia_domain.errors import StoreUnavailable

pytestmark = pytest.mark.integration

Fetch = Callable[..., Awaitable[list[Any]]]


async def test_k11_postgres_backend_runs_the_services_and_disposes_the_engine_once(
    pg_url: str, pg_fetch: Fetch, pg_clean: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    disposed: list[AsyncEngine] = []
    original = AsyncEngine.dispose

    async def counting_dispose(self: AsyncEngine, close: bool = True) -> None:
        disposed.append(self)
        await original(self, close)

    monkeypatch.setattr(AsyncEngine, "dispose", counting_dispose)
    container = build_container(GaiaSettings(postgres_url=pg_url))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with running(container) as app:
            uow_factory = await resolve(container.unit_of_work_factory)
            assert isinstance(uow_factory(), PostgresUnitOfWork)
            assert isinstance(await resolve(container.outbox_relay_store), PostgresOutboxRelayStore)
            user = await app.users.register(email="Grace@Example.org", name="Grace")
            assert (await app.users.get_by_email("grace@example.org")).id == user.id
        await shutdown(container)  # a second shutdown is a no-op
        gc.collect()
    assert len(disposed) == 1
    assert [str(w.message) for w in caught] == []
    stored = await pg_fetch("SELECT email FROM users")
    assert [r[0] for r in stored] == ["Grace@Example.org"]
    events = await pg_fetch("SELECT event_type FROM outbox ORDER BY seq")
    assert "UserRegistered" in [r[0] for r in events]


async def test_k11_services_used_after_shutdown_fail_instead_of_opening_a_new_pool(pg_url: str, pg_clean: None) -> None:
    # A disposed SQLAlchemy engine opens a fresh pool on its next checkout, and nothing would ever close that
    # one (ResourceWarning: unclosed connection). After shutdown the container's engine refuses instead.
    container = build_container(GaiaSettings(postgres_url=pg_url))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with running(container) as app:
            user = await app.users.register(email="late@example.org", name="Late")
            relay_store = await resolve(container.outbox_relay_store)
        with pytest.raises(StoreUnavailable, match="shut down"):
            await app.users.get(user.id)
        with pytest.raises(StoreUnavailable, match="shut down"):
            await relay_store.backlog()
        gc.collect()
    assert [str(w.message) for w in caught] == []
