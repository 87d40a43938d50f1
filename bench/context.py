"""What every benchmark gets: where the servers are, how big to make things, how often to repeat."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient

from gaia_adapters.mongo.client import client_options, close_client, open_client
from gaia_adapters.mongo.collections import CONVERSATIONS, CollectionRegistry
from gaia_adapters.mongo.conversation_store import MongoConversationStore
from gaia_adapters.settings import GaiaSettings


@dataclass(frozen=True)
class Sizes:
    b1_large: int = 10_000
    b1_small: int = 10
    b1_appends: int = 3
    b2_large: int = 10_000
    b2_small: int = 100
    b2_last: int = 50
    b2_reads: int = 10
    b2_whole_reads: int = 3
    b3_conversations: int = 4_020  # of the user whose pages are read: page 200 of 20 needs 4,000
    b3_users: int = 20
    b3_other_conversations: int = 200  # of each other user
    b3_page: int = 20
    b3_deep_page: int = 200
    b3_lists: int = 3
    b4_round_trips: int = 500
    b5_messages: int = 100_000
    b5_messages_per_conversation: int = 20
    b5_batch: int = 200  # conversations per bulk insert, as `gaia-db import` writes them
    b6_rounds: int = 30
    b7_bytes: int = 50_000_000
    b7_limit_bytes: int = 200_000_000
    repetitions: int = 5
    b5_repetitions: int = 5


FULL = Sizes()
QUICK = Sizes(
    b1_large=200,
    b1_small=10,
    b1_appends=3,
    b2_large=200,
    b2_small=60,
    b2_last=50,
    b2_reads=3,
    b2_whole_reads=1,
    b3_conversations=70,
    b3_users=3,
    b3_other_conversations=10,
    b3_page=10,
    b3_deep_page=5,
    b3_lists=3,
    b4_round_trips=10,
    b5_messages=1_000,
    b5_messages_per_conversation=10,
    b5_batch=50,
    b6_rounds=3,
    b7_bytes=300_000,
    repetitions=3,
    b5_repetitions=1,
)


@dataclass(frozen=True)
class Context:
    mongo_url: str
    postgres_url: str
    sizes: Sizes
    run_id: str

    def mongo_settings(self, database: str, *, driver: str = "pymongo") -> GaiaSettings:
        return GaiaSettings(
            mongo_url=self.mongo_url,
            mongo_database=f"bench_{self.run_id}_{database}",
            mongo_driver=driver,
            mongo_server_selection_timeout_ms=20_000,
        )

    @contextlib.asynccontextmanager
    async def mongo_store(self, database: str, *, driver: str = "pymongo") -> AsyncIterator[MongoStore]:
        """A framework store on a client of its own over a fresh database (dropped afterwards)."""
        settings = self.mongo_settings(database, driver=driver)
        client = await open_client(settings)
        try:
            db = client[settings.mongo_database]
            registry = CollectionRegistry(db)
            collection = await registry.get(CONVERSATIONS)  # collection, validator and indexes made before timing
            yield MongoStore(MongoConversationStore(registry), collection, client, db)
        finally:
            with contextlib.suppress(Exception):
                await client.drop_database(settings.mongo_database)
            await close_client(client)

    @contextlib.asynccontextmanager
    async def delayed_store(self, database: str, *, commands: Sequence[str]) -> AsyncIterator[DelayedStore]:
        """The framework store on a client whose ``commands`` the server holds before running them.

        MongoDB's ``failCommand`` fail point with ``blockConnection`` (scoped to this client's app name): the
        client does exactly the work of the fast operation but waits as long as for a slow one, so a pair can
        separate the client's own CPU from what the driver spends while it waits (see docs/performance.md).
        Set the wait with :meth:`DelayedStore.hold`.
        """
        settings = self.mongo_settings(database)
        options = {**client_options(settings), "appname": _DELAYED_APP}
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(self.mongo_url, **options)
        try:
            store = MongoConversationStore(CollectionRegistry(client[settings.mongo_database]))
            yield DelayedStore(store, client, tuple(commands))
        finally:
            with contextlib.suppress(Exception):
                await client.admin.command("configureFailPoint", "failCommand", mode="off")
            await client.close()


@dataclass(frozen=True)
class DelayedStore:
    store: MongoConversationStore
    client: Any
    commands: tuple[str, ...]

    async def hold(self, seconds: float) -> None:
        """From now on the server holds each of these commands ``seconds`` (at least 1 ms) before running it."""
        fail_point = {
            "failCommands": list(self.commands),
            "blockConnection": True,
            "blockTimeMS": max(1, round(seconds * 1000)),
            "appName": _DELAYED_APP,
        }
        await self.client.admin.command("configureFailPoint", "failCommand", mode="alwaysOn", data=fail_point)


_DELAYED_APP = "gaia-bench-delayed"


@dataclass(frozen=True)
class MongoStore:
    store: MongoConversationStore
    collection: Any  # the same collection, for raw-driver baselines
    client: Any
    database: Any


def progress(text: str) -> None:
    """Progress goes to stderr, so stdout carries only the table."""
    print(text, file=sys.stderr, flush=True)
