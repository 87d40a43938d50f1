"""Providers' building blocks for the container's ``postgres`` backend.

:func:`engine` is an async generator resource: the engine (and its pool) is created inside the running
loop when the container initialises it and disposed exactly once when the container shuts its resources
down (dependency-injector runs the ``finally`` once; a second shutdown finds nothing to close).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from gaia_adapters.postgres.engine import create_engine
from gaia_adapters.postgres.lifecycle import close
from gaia_adapters.postgres.outbox_relay import PostgresOutboxRelayStore
from gaia_adapters.postgres.unit_of_work import PostgresUnitOfWork
from gaia_adapters.settings import GaiaSettings
from gaia_domain.ports import UnitOfWork


async def engine(settings: GaiaSettings) -> AsyncIterator[AsyncEngine]:
    created = create_engine(settings)
    try:
        yield created
    finally:
        await close(created)  # services kept past shutdown get StoreUnavailable, not a new pool


def unit_of_work_factory(created: AsyncEngine) -> Callable[[], UnitOfWork]:
    """Services take a factory: each use case opens its own unit of work (one pooled connection)."""
    return functools.partial(PostgresUnitOfWork, created)


def outbox_relay_store(created: AsyncEngine) -> PostgresOutboxRelayStore:
    return PostgresOutboxRelayStore(created)
