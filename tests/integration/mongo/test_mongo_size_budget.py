"""The size budget on MongoDB: the stored ``message_bytes`` counter, documents stored before it, the server's own limit.

The behaviour every store shares (refusals, unchanged state, the exact boundary) is in the contract suite; these
check what only the stored document shows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bson import ObjectId
from pymongo.errors import DocumentTooLarge, OperationFailure, PyMongoError

from gaia_adapters.mongo import commands
from gaia_adapters.mongo.collections import CONVERSATIONS
from gaia_domain.clock import TickingClock
from gaia_domain.conversations import MAX_CONVERSATION_BYTES, Conversation, messages_size
from gaia_domain.errors import InvalidInput
from gaia_domain.ids import UserId
from gaia_domain.ports import ConversationStore
from gaia_domain.testing import builders
from gaia_domain.testing.contracts.conversations import messages_of_size

pytestmark = pytest.mark.integration


@pytest.fixture
def store(each_driver_store: ConversationStore) -> ConversationStore:
    return each_driver_store


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), step=timedelta(milliseconds=7))


@pytest.fixture
def raw(sync_mongo_client: Any, mongo_database_name: str) -> Any:
    return sync_mongo_client[mongo_database_name][CONVERSATIONS]


async def test_the_stored_counter_follows_adds_appends_and_edits(
    store: ConversationStore, clock: TickingClock, raw: Any
) -> None:
    owner = UserId.new()
    conversation = builders.conversation(clock, owner, contents=["hello", "wörld"])
    await store.add(conversation)
    key = {"_id": ObjectId(conversation.id.value)}
    assert raw.find_one(key)["message_bytes"] == messages_size(conversation.messages)
    await store.append_messages(owner, conversation.id, [builders.message(clock, "more")])
    await store.update_message(owner, conversation.id, conversation.messages[0].id, content="€", edited_at=clock.now())
    loaded = await store.get(owner, conversation.id)
    assert raw.find_one(key)["message_bytes"] == messages_size(loaded.messages)


async def test_a_document_stored_before_the_counter_is_counted_on_its_first_write(
    store: ConversationStore, clock: TickingClock, raw: Any
) -> None:
    owner = UserId.new()
    old = builders.conversation(clock, owner, contents=["a" * 500, "b"])
    edited = builders.conversation(clock, owner, contents=["c" * 500])
    await store.add_many([old, edited])
    for conversation in (old, edited):
        raw.update_one({"_id": ObjectId(conversation.id.value)}, {"$unset": {"message_bytes": ""}})
    await store.append_messages(owner, old.id, [builders.message(clock, "new")])
    await store.update_message(owner, edited.id, edited.messages[0].id, content="short", edited_at=clock.now())
    for conversation in (old, edited):
        loaded = await store.get(owner, conversation.id)
        assert raw.find_one({"_id": ObjectId(conversation.id.value)})["message_bytes"] == messages_size(loaded.messages)
    assert [m.content for m in (await store.get(owner, old.id)).messages] == ["a" * 500, "b", "new"]
    assert (await store.get(owner, edited.id)).messages[0].content == "short"


async def test_a_counter_that_lies_still_meets_the_server_limit_as_the_same_invalid_input(
    store: ConversationStore, clock: TickingClock, raw: Any
) -> None:
    """The last line of defence: the server's own 16 MiB limit is InvalidInput("messages"), never StoreUnavailable."""
    owner = UserId.new()
    conversation = Conversation.start(
        user_id=owner, clock=clock, messages=messages_of_size(clock, MAX_CONVERSATION_BYTES)
    )
    await store.add(conversation)
    raw.update_one({"_id": ObjectId(conversation.id.value)}, {"$set": {"message_bytes": 0}})
    with pytest.raises(InvalidInput) as caught:
        await store.append_messages(owner, conversation.id, messages_of_size(clock, 1_500_000))
    assert caught.value.field == "messages"
    assert f"size limit of {MAX_CONVERSATION_BYTES} bytes" in caught.value.reason
    assert isinstance(caught.value.__cause__, PyMongoError)
    assert (await store.get(owner, conversation.id)).message_count == len(conversation.messages)


@pytest.mark.parametrize(
    "error",
    [
        OperationFailure("BSONObjectTooLarge", code=10334),
        OperationFailure("Resulting document after update is larger than 16777216", code=17419),
        OperationFailure("upsert too large", code=17420),
        DocumentTooLarge("update command document too large"),
    ],
)
def test_the_servers_too_large_errors_are_permanent_invalid_input(error: Exception) -> None:
    translated = commands.translate(error)
    assert isinstance(translated, InvalidInput)
    assert translated.field == "document"
