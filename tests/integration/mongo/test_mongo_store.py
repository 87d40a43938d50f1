"""MongoConversationStore on the MongoDB-wire server: the adapter-specific cases (K02, K05, K06, K08, K09, K10).

Every test runs on the three stores: PyMongo async, Motor and the sync store (through a thread adapter).
The shared behaviour is proven by the contract suite (test_mongo_contract.py); these check what only a
real MongoDB can show: stored types, atomic array updates, query plans.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bson import ObjectId
from bson.binary import Binary, UuidRepresentation
from bson.codec_options import CodecOptions

from gaia_adapters.mongo.collections import CONVERSATIONS
from gaia_domain.clock import TickingClock
from gaia_domain.conversations import Conversation, Message, Role, Source
from gaia_domain.errors import AlreadyExists, InvalidInput, NotFound
from gaia_domain.ids import ConversationId, MessageId, UserId
from gaia_domain.ports import ConversationStore
from gaia_domain.testing import builders

pytestmark = pytest.mark.integration


@pytest.fixture
def store(each_driver_store: ConversationStore) -> ConversationStore:
    return each_driver_store


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), step=timedelta(milliseconds=7))


@pytest.fixture
def raw(sync_mongo_client: Any, mongo_database_name: str) -> Any:
    """The conversations collection as stored: UUIDs undecoded, so their binary subtype shows."""
    options: CodecOptions[dict[str, Any]] = CodecOptions(
        tz_aware=True, tzinfo=UTC, uuid_representation=UuidRepresentation.UNSPECIFIED
    )
    return sync_mongo_client[mongo_database_name][CONVERSATIONS].with_options(codec_options=options)


def _walk_values(value: Any) -> list[Any]:
    found = [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            found += _walk_values(getattr(value, f.name))
    elif isinstance(value, dict):
        for k, item in value.items():
            found += [*_walk_values(k), *_walk_values(item)]
    elif isinstance(value, list | tuple):
        for item in value:
            found += _walk_values(item)
    return found


async def test_k02_get_returns_the_whole_aggregate_in_order(store: ConversationStore, clock: TickingClock) -> None:
    owner = UserId.new()
    conversation = builders.conversation(clock, owner, description="Trip", contents=[f"m{i}" for i in range(7)])
    await store.add(conversation)
    loaded = await store.get(owner, conversation.id)
    assert loaded == conversation
    assert [m.content for m in loaded.messages] == [f"m{i}" for i in range(7)]
    last = await store.get(owner, conversation.id, last_messages=3)
    assert [m.content for m in last.messages] == ["m4", "m5", "m6"]
    assert last.message_count == 7
    assert last.description == "Trip"


async def test_k05_times_read_back_aware_utc_and_equal(store: ConversationStore, clock: TickingClock) -> None:
    owner = UserId.new()
    zone = datetime(2026, 5, 1, 23, 30, 15, 123999, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("Asia/Kolkata")
    )
    message = Message.new(role=Role.USER, content="late", created_at=zone)
    conversation = Conversation.start(user_id=owner, clock=clock, messages=[message])
    await store.add(conversation)
    loaded = await store.get(owner, conversation.id)
    times = [loaded.created_at, loaded.updated_at, loaded.messages[0].created_at]
    assert all(t.tzinfo is not None and t.utcoffset() == timedelta(0) for t in times)
    assert loaded.messages[0].created_at == datetime(2026, 5, 1, 23, 30, 15, 123000, tzinfo=UTC)
    assert loaded.created_at == conversation.created_at
    summary = (await store.list(owner)).items[0]
    assert summary.updated_at == conversation.updated_at
    assert summary.updated_at.utcoffset() == timedelta(0)


async def test_k06_no_object_id_reaches_the_domain(store: ConversationStore, clock: TickingClock) -> None:
    owner = UserId.new()
    conversation = builders.conversation(clock, owner, contents=["a", "b"])
    await store.add(conversation)
    await store.update_message(owner, conversation.id, conversation.messages[0].id, pinned=True)
    results: list[Any] = [
        await store.get(owner, conversation.id),
        await store.list(owner),
        await store.messages_page(owner, conversation.id, limit=1),
        await store.pinned_messages(owner),
        await store.search(owner, "a"),
        await store.stats(owner),
    ]
    values = _walk_values(results)
    assert not [x for x in values if isinstance(x, ObjectId | Binary)]
    assert isinstance(results[0].id.value, str)


@pytest.mark.parametrize("bad", ["", "xyz", "0" * 23, "g" * 24, "6" * 25, "$where", "{'$gt': ''}"])
async def test_k06_malformed_ids_are_invalid_input_never_bson_errors(
    store: ConversationStore, clock: TickingClock, bad: str
) -> None:
    owner = UserId.new()
    calls = [
        store.get(owner, bad),  # type: ignore[arg-type]
        store.delete(owner, bad),  # type: ignore[arg-type]
        store.append_messages(owner, bad, [builders.message(clock)]),  # type: ignore[arg-type]
        store.update_metadata(owner, bad, starred=True),  # type: ignore[arg-type]
        store.messages_page(owner, bad),  # type: ignore[arg-type]
        store.get(bad, ConversationId.new()),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(InvalidInput) as caught:
            await call
        assert caught.value.field in ("conversation_id", "user_id")


async def test_k06_a_well_formed_unknown_id_is_not_found(store: ConversationStore) -> None:
    with pytest.raises(NotFound):
        await store.get(UserId.new(), ConversationId("0" * 24))


async def test_k10_user_id_is_a_standard_uuid_subtype_4(
    store: ConversationStore, clock: TickingClock, raw: Any
) -> None:
    owner = UserId.new()
    conversation = builders.conversation(clock, owner)
    await store.add(conversation)
    stored = raw.find_one({"_id": ObjectId(conversation.id.value)})
    assert isinstance(stored["user_id"], Binary)
    assert stored["user_id"].subtype == 4
    assert stored["user_id"].as_uuid() == owner.value
    assert isinstance(stored["_id"], ObjectId)
    loaded = await store.get(owner, conversation.id)
    assert type(loaded.user_id.value) is uuid.UUID
    summary = (await store.list(owner)).items[0]
    assert type(summary.user_id.value) is uuid.UUID


async def test_k08_fifty_concurrent_appends_lose_nothing(store: ConversationStore, clock: TickingClock) -> None:
    owner = UserId.new()
    conversation = builders.conversation(clock, owner)
    await store.add(conversation)
    messages = [builders.message(clock, f"n{i}") for i in range(50)]
    await asyncio.gather(*(store.append_messages(owner, conversation.id, [m]) for m in messages))
    loaded = await store.get(owner, conversation.id)
    assert loaded.message_count == 50
    assert {m.id for m in loaded.messages} == {m.id for m in messages}
    assert loaded.updated_at == max(m.created_at for m in messages)


async def test_k08_concurrent_pins_edits_and_appends_lose_nothing(
    store: ConversationStore, clock: TickingClock
) -> None:
    owner = UserId.new()
    conversation = builders.conversation(clock, owner, contents=[f"c{i}" for i in range(10)])
    await store.add(conversation)
    ids = [m.id for m in conversation.messages]
    edited_at = clock.now()
    ops = []
    for i in range(20):
        target = ids[i % 10]
        if i % 3 == 0:
            ops.append(store.update_message(owner, conversation.id, target, pinned=i % 2 == 0))
        elif i % 3 == 1:
            ops.append(store.update_message(owner, conversation.id, target, content=f"edit{i}", edited_at=edited_at))
        else:
            ops.append(store.append_messages(owner, conversation.id, [builders.message(clock, f"new{i}")]))
    await asyncio.gather(*ops)
    loaded = await store.get(owner, conversation.id)
    contents = {m.content for m in loaded.messages}
    assert loaded.message_count == len(loaded.messages) == 10 + 6
    assert {f"new{i}" for i in range(20) if i % 3 == 2} <= contents
    assert {f"edit{i}" for i in range(20) if i % 3 == 1} <= contents
    by_id = {m.id: m for m in loaded.messages}
    for i in range(20):
        if i % 3 == 0:
            assert by_id[ids[i % 10]].pinned is (i % 2 == 0)


async def test_retried_append_is_detected_and_appends_nothing(store: ConversationStore, clock: TickingClock) -> None:
    owner = UserId.new()
    conversation = builders.conversation(clock, owner, contents=["a"])
    await store.add(conversation)
    first, second = builders.message(clock, "b"), builders.message(clock, "c")
    await store.append_messages(owner, conversation.id, [first])
    with pytest.raises(AlreadyExists) as caught:
        await store.append_messages(owner, conversation.id, [second, first])
    assert caught.value.key == first.id.value
    loaded = await store.get(owner, conversation.id)
    assert [m.content for m in loaded.messages] == ["a", "b"]
    with pytest.raises(NotFound):
        await store.append_messages(UserId.new(), conversation.id, [second])


async def test_duplicate_conversation_id_keeps_the_driver_error_as_cause(
    store: ConversationStore, clock: TickingClock
) -> None:
    conversation = builders.conversation(clock, UserId.new())
    await store.add(conversation)
    other_owner = dataclasses.replace(conversation, user_id=UserId.new())
    with pytest.raises(AlreadyExists) as caught:
        await store.add(other_owner)
    assert type(caught.value.__cause__).__module__.startswith("pymongo")
    assert await store.add_many([conversation, builders.conversation(clock, UserId.new())]) == 1


async def test_search_text_is_literal_data(store: ConversationStore, clock: TickingClock) -> None:
    owner = UserId.new()
    tricky = builders.conversation(clock, owner, description="Regex (a+)+$ talk", contents=["why .* hangs", "ok"])
    plain = builders.conversation(clock, owner, description="Напомни", contents=["ЗВОНОК маме"])
    await store.add_many([tricky, plain])
    assert [h.conversation.id for h in await store.search(owner, "(A+)+$")] == [tricky.id]
    hits = await store.search(owner, ".*")
    assert [(h.conversation.id, h.description_matches, h.message_ids) for h in hits] == [
        (tricky.id, False, (tricky.messages[0].id,))
    ]
    assert [h.conversation.id for h in await store.search(owner, "звонок")] == [plain.id]
    assert [h.conversation.id for h in await store.search(owner, "напомни")] == [plain.id]
    assert await store.search(owner, '{"$ne": null}') == []
    assert await store.search(UserId.new(), "regex") == []


async def test_pages_pins_and_stats(store: ConversationStore, clock: TickingClock) -> None:
    owner = UserId.new()
    conversation = builders.conversation(clock, owner, description="d", contents=[f"m{i}" for i in range(5)])
    await store.add(conversation)
    tool = builders.message(clock, "t", role=Role.TOOL, tools=["web", "web", "mail"])
    await store.append_messages(owner, conversation.id, [tool])
    seen: list[str] = []
    cursor = None
    while True:
        page = await store.messages_page(owner, conversation.id, limit=2, cursor=cursor)
        seen += [m.content for m in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["t", "m4", "m3", "m2", "m1", "m0"]
    await store.update_message(owner, conversation.id, conversation.messages[1].id, pinned=True)
    await store.update_message(owner, conversation.id, conversation.messages[3].id, pinned=True)
    pinned = await store.pinned_messages(owner)
    assert [p.message.content for p in pinned] == ["m3", "m1"]
    assert pinned[0].conversation_description == "d"
    stats = await store.stats(owner)
    assert stats.conversations == 1
    assert stats.messages == 6
    assert stats.pinned == 2
    assert stats.messages_by_role == {"assistant": 2, "tool": 1, "user": 3}
    assert stats.messages_per_day == {"2026-03-01": 6}
    assert stats.top_tools == (("web", 2), ("mail", 1))
    assert await store.stats(UserId.new()) == dataclasses.replace(
        stats, conversations=0, messages=0, pinned=0, messages_by_role={}, messages_per_day={}, top_tools=()
    )


async def test_update_metadata_keeps_activity_and_missing_message_is_not_found(
    store: ConversationStore, clock: TickingClock
) -> None:
    owner = UserId.new()
    conversation = builders.conversation(clock, owner, source=Source.TELEGRAM, contents=["x"])
    await store.add(conversation)
    await store.update_metadata(owner, conversation.id, description=" Renamed ", starred=True, unread=True)
    summary = (await store.list(owner, starred=True, source=Source.TELEGRAM)).items[0]
    assert (summary.description, summary.starred, summary.unread) == ("Renamed", True, True)
    assert summary.updated_at == conversation.updated_at
    with pytest.raises(NotFound):
        await store.update_message(owner, conversation.id, MessageId.new(), pinned=True)
    with pytest.raises(NotFound):
        await store.update_metadata(UserId.new(), conversation.id, starred=False)
    with pytest.raises(InvalidInput):
        await store.update_message(owner, conversation.id, conversation.messages[0].id, content="no time")
