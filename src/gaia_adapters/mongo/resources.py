"""Providers' building blocks for the container's ``mongo`` backend.

:func:`client` is an async generator resource: the client is opened inside the running loop when the
container initialises it and closed exactly once when the container shuts its resources down.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from gaia_adapters.mongo.client import AsyncClient, close_client, open_client
from gaia_adapters.mongo.conversation_store import MongoConversationStore
from gaia_adapters.settings import GaiaSettings


async def client(settings: GaiaSettings) -> AsyncIterator[AsyncClient]:
    opened = await open_client(settings)
    try:
        yield opened
    finally:
        await close_client(opened)


def database(opened: AsyncClient, settings: GaiaSettings) -> Any:
    """The database named by ``settings.mongo_database`` (what ``gaia-db migrate`` runs migrations on)."""
    return opened[settings.mongo_database]


def conversation_store(db: Any) -> MongoConversationStore:
    return MongoConversationStore.for_database(db)
