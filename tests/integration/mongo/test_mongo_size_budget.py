"""The size budget on MongoDB: the stored ``message_bytes`` counter, documents stored before it, the server's own limit.

The behaviour every store shares (refusals, unchanged state, the exact boundary) is in the contract suite; these
check what only the stored document shows.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bson import ObjectId
from pymongo.errors import DocumentTooLarge, OperationFailure, PyMongoError

from gaia_adapters.mongo import commands
from gaia_adapters.mongo.collections import CONVERSATIONS
from gaia_domain.clock import TickingClock
from gaia_domain.conversations import MAX_CONVERSATION_BYTES, Conversation, ToolData, messages_size
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


async def test_concurrent_edits_of_one_message_keep_the_counter_exact(
    store: ConversationStore, clock: TickingClock, raw: Any
) -> None:
    """Compare-and-set edits that lose retry after a jittered pause; whichever wins, the counter is the true size."""
    owner = UserId.new()
    conversation = builders.conversation(clock, owner, contents=["original", "other"])
    await store.add(conversation)
    target = conversation.messages[0].id
    contents = [f"edit {i} " + "ü" * (3 * i) for i in range(25)]
    await asyncio.gather(
        *(
            store.update_message(owner, conversation.id, target, content=text, edited_at=clock.now())
            for text in contents
        )
    )
    loaded = await store.get(owner, conversation.id)
    assert loaded.messages[0].content in contents
    assert raw.find_one({"_id": ObjectId(conversation.id.value)})["message_bytes"] == messages_size(loaded.messages)


async def test_a_bulk_insert_the_server_finds_too_large_is_invalid_input_never_unavailable(
    store: ConversationStore, clock: TickingClock, raw: Any
) -> None:
    """Tool data of many tiny numbers weighs about 3.5x more in BSON than the estimate (JSON) says: 6 MB estimated,
    21 MB stored. The server refuses it; that must read as bad input naming the conversation, not "retry later"."""
    owner = UserId.new()
    fine = builders.conversation(clock, owner, contents=["fine"])
    heavy_message = dataclasses.replace(
        builders.message(clock, "heavy"), tool_data=tuple(ToolData("t", {"v": [0] * 40_000}) for _ in range(50))
    )
    heavy = builders.conversation(clock, owner, contents=[])
    heavy.messages.append(heavy_message)
    assert messages_size(heavy.messages) < MAX_CONVERSATION_BYTES  # the estimate lets it through
    with pytest.raises(InvalidInput) as caught:
        await store.add_many([fine, heavy])
    assert caught.value.field == "conversations"
    assert heavy.id.value in caught.value.reason
    assert raw.find_one({"_id": ObjectId(heavy.id.value)}) is None
    assert raw.find_one({"_id": ObjectId(fine.id.value)}) is not None  # unordered: the others of the batch landed
