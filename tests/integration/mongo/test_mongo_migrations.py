"""Versioned migrations on the MongoDB-wire server, and legacy documents read before they are migrated."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from bson import ObjectId, json_util

from gaia_adapters.mongo.collections import CONVERSATIONS, MIGRATIONS, CollectionRegistry
from gaia_adapters.mongo.conversation_store import MongoConversationStore
from gaia_adapters.mongo.documents import SCHEMA_VERSION, parse_legacy_time
from gaia_adapters.mongo.migrations import MigrationIncomplete, migration_ids, pending, run_pending
from gaia_domain.conversations import Role
from gaia_domain.ids import ConversationId, UserId

pytestmark = pytest.mark.integration

_serial = itertools.count()


@pytest.fixture
async def database(pymongo_client: Any, mongo_database_name: str) -> AsyncIterator[Any]:
    """A database of its own (migrations are recorded per database), dropped afterwards."""
    name = f"{mongo_database_name}_m{next(_serial)}"
    try:
        yield pymongo_client[name]
    finally:
        await pymongo_client.drop_database(name)


def legacy_documents() -> list[dict[str, Any]]:
    from test_mongo_documents import shared_data

    documents: list[dict[str, Any]] = json_util.loads(shared_data("gaia-legacy-conversations.json").read_text("utf-8"))
    return documents


async def insert_legacy(database: Any) -> list[dict[str, Any]]:
    """Legacy documents as production holds them: written before the validator existed."""
    documents = legacy_documents()
    await (await CollectionRegistry(database).get(CONVERSATIONS)).insert_many(
        documents, bypass_document_validation=True
    )
    return documents


async def test_a_fresh_database_gets_every_migration_once(database: Any) -> None:
    assert await pending(database) == migration_ids()
    assert await database.list_collection_names() == []  # pending() only reads (gaia-db doctor relies on it)
    calls: list[tuple[str, int, int]] = []
    assert await run_pending(database, progress=lambda *a: calls.append(a)) == migration_ids()
    assert await pending(database) == []
    assert await run_pending(database) == []  # idempotent
    assert {c[0] for c in calls} == set(migration_ids())
    names = set(await database.list_collection_names())
    assert {CONVERSATIONS, MIGRATIONS, "users", "integration_instructions", "e2b_warm_pool"} <= names
    indexes = {i["name"] async for i in await database[CONVERSATIONS].list_indexes()}
    assert {"owner_activity", "owner_starred_activity", "owner_message", "owner_pinned"} <= indexes


async def test_legacy_conversations_are_upgraded_and_unmapped_owners_reported(database: Any) -> None:
    documents = await insert_legacy(database)
    ada, bob = UserId.new(), UserId.new()
    known = {"65f1c0ffee0000000000a001": ada}
    progress: list[tuple[str, int, int]] = []

    with pytest.raises(MigrationIncomplete) as caught:
        await run_pending(database, legacy_owner_resolver=known.get, progress=lambda *a: progress.append(a))
    unmapped = caught.value.unmapped_owners
    assert sorted(unmapped) == [(str(d["_id"]), d["user_id"]) for d in documents[2:]]
    assert caught.value.invalid == []
    assert await pending(database) == ["0002_legacy_conversations"]  # not recorded: stays pending
    assert progress[-1] == ("0002_legacy_conversations", 5, 5)

    raw = database[CONVERSATIONS]
    untouched = await raw.find_one({"_id": documents[2]["_id"]})
    assert "schema_version" not in untouched
    assert untouched["user_id"] == documents[2]["user_id"]

    store = MongoConversationStore(CollectionRegistry(database))
    first = await store.get(ada, ConversationId(str(documents[0]["_id"])))
    assert [m.role for m in first.messages] == [Role.USER, Role.ASSISTANT]
    assert first.messages[1].pinned
    assert (await raw.find_one({"_id": documents[0]["_id"]}))["legacy_user_id"] == "65f1c0ffee0000000000a001"

    async def resolve(legacy: str) -> UserId | None:  # an async resolver works too
        return {**known, "65f1c0ffee0000000000a002": bob}.get(legacy)

    assert await run_pending(database, legacy_owner_resolver=resolve) == ["0002_legacy_conversations"]
    assert await pending(database) == []
    assert await raw.count_documents({"schema_version": SCHEMA_VERSION}) == 5
    assert [s.id.value for s in (await store.list(bob)).items] == [str(d["_id"]) for d in reversed(documents[2:])]
    digest = await store.get(bob, ConversationId(str(documents[2]["_id"])))
    assert digest.created_at == datetime(2026, 1, 15, 7, 0, tzinfo=UTC)
    kept = await raw.find_one({"_id": documents[4]["_id"]})
    assert kept["artifacts"] == documents[4]["artifacts"]
    assert kept["conversation_id"] == documents[4]["conversation_id"]


async def test_a_document_that_cannot_be_made_valid_is_reported_and_left_alone(database: Any) -> None:
    broken = {"_id": ObjectId(), "user_id": "65f1c0ffee0000000000a001", "createdAt": "not a time", "messages": []}
    await (await CollectionRegistry(database).get(CONVERSATIONS)).insert_one(broken, bypass_document_validation=True)
    with pytest.raises(MigrationIncomplete) as caught:
        await run_pending(database, legacy_owner_resolver=lambda _: UserId.new())
    assert [i[0] for i in caught.value.invalid] == [str(broken["_id"])]
    assert await database[CONVERSATIONS].find_one({"_id": broken["_id"]}) == broken


async def test_older_shapes_with_a_known_owner_are_upgraded_on_read(database: Any) -> None:
    """A legacy-shaped document whose owner is already ours reads correctly before any migration."""
    owner = UserId.new()
    legacy = legacy_documents()[0]
    legacy["user_id"] = owner.value
    await (await CollectionRegistry(database).get(CONVERSATIONS)).insert_one(legacy, bypass_document_validation=True)
    store = MongoConversationStore(CollectionRegistry(database))
    conversation_id = ConversationId(str(legacy["_id"]))
    loaded = await store.get(owner, conversation_id)
    assert loaded.created_at == parse_legacy_time("createdAt", legacy["createdAt"])
    assert [m.role for m in loaded.messages] == [Role.USER, Role.ASSISTANT]
    assert [(s.id, s.message_count) for s in (await store.list(owner)).items] == [(conversation_id, 2)]
    assert [h.conversation.message_count for h in await store.search(owner, "LISBON")] == [2]
    page = await store.messages_page(owner, conversation_id, limit=1)
    assert [m.content for m in page.items] == [legacy["messages"][1]["response"]]
    older = await store.messages_page(owner, conversation_id, limit=1, cursor=page.next_cursor)
    assert [m.content for m in older.items] == [legacy["messages"][0]["response"]]
    assert [p.message.id.value for p in await store.pinned_messages(owner)] == [legacy["messages"][1]["message_id"]]


async def test_an_interrupted_migration_resumes_where_it_stopped(
    database: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gaia_adapters.mongo.migrations import m0002_legacy_conversations as legacy_migration

    documents = await insert_legacy(database)
    monkeypatch.setattr(legacy_migration, "BATCH_SIZE", 2)
    owners = {d["user_id"]: UserId.new() for d in documents}

    class Crash(Exception):
        pass

    def crash_after_first_batch(migration_id: str, done: int, total: int) -> None:
        if migration_id == legacy_migration.ID and done == 2:
            raise Crash

    with pytest.raises(Crash):
        await run_pending(database, legacy_owner_resolver=owners.get, progress=crash_after_first_batch)
    raw = database[CONVERSATIONS]
    assert await raw.count_documents({"schema_version": SCHEMA_VERSION}) == 2
    assert await pending(database) == [legacy_migration.ID]
    first_two = [await raw.find_one({"_id": d["_id"]}) for d in documents[:2]]

    seen: list[tuple[str, int, int]] = []
    assert await run_pending(database, legacy_owner_resolver=owners.get, progress=lambda *a: seen.append(a)) == [
        legacy_migration.ID
    ]
    assert seen[0] == (legacy_migration.ID, 0, 3)  # only what was left
    assert await raw.count_documents({"schema_version": SCHEMA_VERSION}) == 5
    assert [await raw.find_one({"_id": d["_id"]}) for d in documents[:2]] == first_two  # not redone
