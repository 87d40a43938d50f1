"""The lazy collection registry, the client factory, and driver failures mapped to domain errors."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring
from pymongo.errors import PyMongoError

from gaia_adapters.mongo.client import client_options, close_client, is_closed, open_client
from gaia_adapters.mongo.collections import COLLECTIONS, CONVERSATIONS, CollectionRegistry, UnknownCollection
from gaia_adapters.mongo.conversation_store import MongoConversationStore
from gaia_adapters.settings import GaiaSettings
from gaia_domain.clock import TickingClock
from gaia_domain.errors import StoreUnavailable
from gaia_domain.ids import UserId
from gaia_domain.testing import builders

pytestmark = pytest.mark.integration

GAIA_COLLECTIONS = [
    "users",
    "conversations",
    "goals",
    "notes",
    "calendar",
    "feedback_form",
    "waitlist",
    "mail",
    "blog",
    "search_urls",
    "files",
    "notifications",
    "todos",
    "projects",
    "reminders",
    "workflows",
    "support_requests",
    "payments",
    "subscriptions",
    "subscription_plans",
    "usage_snapshots",
    "ai_models",
    "device_tokens",
    "integrations",
    "user_integrations",
    "workflow_executions",
    "processed_webhooks",
    "bot_sessions",
    "skills",
    "e2b_sandboxes",
    "e2b_warm_pool",
    "integration_instructions",
]

_serial = itertools.count()


class CommandNames(monitoring.CommandListener):
    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def recorded_database(mongo_settings: GaiaSettings) -> AsyncIterator[tuple[Any, CommandNames]]:
    listener = CommandNames()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_settings.mongo_url_value(), event_listeners=[listener], **client_options(mongo_settings)
    )
    name = f"{mongo_settings.mongo_database}_r{next(_serial)}"
    try:
        yield client[name], listener
    finally:
        await client.drop_database(name)
        await client.close()


def test_every_gaia_collection_is_declared() -> None:
    assert set(GAIA_COLLECTIONS) <= set(COLLECTIONS)


async def test_registry_creates_lazily_caches_and_ensures_indexes_once(
    recorded_database: tuple[Any, CommandNames],
) -> None:
    database, listener = recorded_database
    registry = CollectionRegistry(database)
    assert listener.names == []  # nothing happens before the first access
    handles = await asyncio.gather(*(registry.get(CONVERSATIONS) for _ in range(5)))
    assert all(h is handles[0] for h in handles)
    assert await registry.get(CONVERSATIONS) is handles[0]
    assert listener.names.count("createIndexes") == 1
    assert listener.names.count("create") == 1
    options = (await database.command("listCollections", filter={"name": CONVERSATIONS}))["cursor"]["firstBatch"]
    assert "$jsonSchema" in options[0]["options"]["validator"]
    with pytest.raises(UnknownCollection, match="conversation"):
        await registry.get("conversation")  # a typo is an error, not a new collection
    assert "conversation" not in await database.list_collection_names()
    await CollectionRegistry(database).get(CONVERSATIONS)  # an existing collection is fine


async def test_client_factory_options_and_close_exactly_once(mongo_settings: GaiaSettings) -> None:
    client = await open_client(mongo_settings)
    options = client.options
    assert options.codec_options.tz_aware
    assert str(options.codec_options.uuid_representation) in ("4", "UuidRepresentation.STANDARD")
    assert options.pool_options.max_pool_size == mongo_settings.mongo_max_pool_size
    await close_client(client)
    await close_client(client)
    assert is_closed(client)


def test_open_client_needs_a_running_loop(mongo_settings: GaiaSettings) -> None:
    coroutine = open_client(mongo_settings)
    with pytest.raises(RuntimeError):
        coroutine.send(None)
    coroutine.close()


async def test_driver_failures_become_store_unavailable_with_the_cause(
    pymongo_conversation_store: MongoConversationStore, sync_mongo_client: Any
) -> None:
    store = pymongo_conversation_store
    owner = UserId.new()
    conversation = builders.conversation(TickingClock(), owner, contents=["x"])
    await store.add(conversation)
    admin = sync_mongo_client.admin
    admin.command(
        "configureFailPoint",
        "failCommand",
        mode="alwaysOn",
        data={"failCommands": ["find", "update"], "errorCode": 2, "appName": "gaia-domain"},
    )
    try:
        with pytest.raises(StoreUnavailable) as caught:
            await store.get(owner, conversation.id)
        assert isinstance(caught.value.__cause__, PyMongoError)
        with pytest.raises(StoreUnavailable):
            await store.append_messages(owner, conversation.id, [builders.message(TickingClock())])
    finally:
        admin.command("configureFailPoint", "failCommand", mode="off")
    assert (await store.get(owner, conversation.id)).message_count == 1  # the failed append left nothing
