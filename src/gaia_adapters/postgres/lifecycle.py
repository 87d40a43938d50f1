"""The end of an engine's life in the container.

A disposed SQLAlchemy engine opens a fresh pool on its next checkout, and nothing would ever close that one
(``ResourceWarning: unclosed connection``). The container's shutdown therefore closes its engine with
:func:`close`; afterwards :func:`ensure_open` makes the unit of work and the relay store raise
``StoreUnavailable`` for services kept past the shutdown, as the MongoDB store does. An engine disposed by
other code keeps SQLAlchemy's behaviour.
"""

from __future__ import annotations

import weakref

from sqlalchemy.ext.asyncio import AsyncEngine

from gaia_adapters.postgres.errors import STORE
from gaia_domain.errors import StoreUnavailable

_CLOSED: weakref.WeakSet[AsyncEngine] = weakref.WeakSet()


async def close(engine: AsyncEngine) -> None:
    """Dispose of the engine's pool for good."""
    _CLOSED.add(engine)
    await engine.dispose()


def ensure_open(engine: AsyncEngine) -> None:
    if engine in _CLOSED:
        raise StoreUnavailable(STORE, "the engine was closed (its container was shut down)")
