"""What the store sends to the server: index-only keyset pages (K09) and appends of constant size (B1)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import bson
import pytest
from pymongo import AsyncMongoClient, monitoring

from gaia_adapters.mongo.client import client_options
from gaia_adapters.mongo.collections import CollectionRegistry
from gaia_adapters.mongo.conversation_store import MongoConversationStore
from gaia_adapters.settings import GaiaSettings
from gaia_domain.clock import ManualClock, TickingClock
from gaia_domain.conversations import Conversation, Message, Role
from gaia_domain.ids import ConversationId, MessageId, UserId
from gaia_domain.testing import builders
from gaia_domain.testing.contracts._base import walk

pytestmark = pytest.mark.integration

# How the client encodes (standard UUIDs, UTC dates): used to measure and replay recorded commands.
CODEC: bson.CodecOptions[dict[str, Any]] = bson.CodecOptions(
    tz_aware=True, tzinfo=UTC, uuid_representation=bson.binary.UuidRepresentation.STANDARD
)


class Recorder(monitoring.CommandListener):
    """Every command with its encoded size and its reply's, as PyMongo's command monitoring reports them."""

    def __init__(self) -> None:
        self.events: list[monitoring.CommandStartedEvent] = []
        self.replies: dict[int, dict[str, Any]] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.events.append(event)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self.replies[event.request_id] = dict(event.reply)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def clear(self) -> None:
        self.events.clear()
        self.replies.clear()

    def commands(self, name: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        for event in self.events:
            if event.command_name == name:
                yield dict(event.command), self.replies.get(event.request_id, {})


@pytest.fixture
async def recorded(mongo_settings: GaiaSettings, pymongo_conversation_store: Any) -> Any:
    """A store on its own AsyncMongoClient whose commands are recorded (same database, emptied)."""
    recorder = Recorder()
    url = mongo_settings.mongo_url_value()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        url, event_listeners=[recorder], **client_options(mongo_settings)
    )
    try:
        store = MongoConversationStore(CollectionRegistry(client[mongo_settings.mongo_database]))
        yield store, recorder
    finally:
        await client.close()


def _stages(plan: Any) -> list[str]:
    found: list[str] = []
    if isinstance(plan, dict):
        if isinstance(plan.get("stage"), str):
            found.append(plan["stage"])
        for value in plan.values():
            found += _stages(value)
    elif isinstance(plan, list):
        for value in plan:
            found += _stages(value)
    return found


async def test_k09_keyset_pages_read_an_index_range_with_no_skip(recorded: Any, sync_mongo_client: Any) -> None:
    store, recorder = recorded
    owner, clock = UserId.new(), ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    batch = []
    for i in range(30):
        if i % 3 == 0:
            clock.advance(timedelta(seconds=1))  # groups of three share a time: ties broken by id
        batch.append(builders.conversation(clock, owner, description=f"c{i}"))
    await store.add_many(batch)
    await store.add_many([builders.conversation(clock, UserId.new()) for _ in range(10)])  # someone else's
    recorder.clear()
    first = await store.list(owner, limit=4)
    second = await store.list(owner, limit=4, cursor=first.next_cursor)
    starred = await store.list(owner, limit=4, starred=False, cursor=second.next_cursor)
    assert len(first) == len(second) == len(starred) == 4
    finds = list(recorder.commands("find"))
    assert 3 <= len(finds) <= 5  # the first page in one query, a page after a cursor in at most two
    database = sync_mongo_client[store._registry.database.name]
    for command, _ in finds:
        assert "skip" not in command
        assert "$or" not in str(command["filter"])
        assert "$expr" not in str(command["filter"])
        explained = database.command(
            "explain",
            {k: command[k] for k in ("find", "filter", "sort", "limit", "projection") if k in command},
            codec_options=CODEC,
        )
        stages = _stages(explained.get("queryPlanner", explained))
        assert "IXSCAN" in stages, stages
        assert "COLLSCAN" not in stages, stages
        assert "SKIP" not in stages, stages


async def test_k09_walking_pages_while_inserting_returns_every_item_once(pymongo_conversation_store: Any) -> None:
    store = pymongo_conversation_store
    owner, clock = UserId.new(), ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    existing = []
    for i in range(25):
        if i % 5 == 0:
            clock.advance(timedelta(seconds=1))
        existing.append(builders.conversation(clock, owner, description=f"old{i}"))
    await store.add_many(existing)
    tie_time = clock.now()

    async def insert_meanwhile() -> None:
        newer = builders.conversation(TickingClock(tie_time + timedelta(hours=1)), owner, description="new")
        tie = Conversation.start(user_id=owner, clock=ManualClock(tie_time), description="tie")
        await store.add_many([newer, tie])

    seen = await walk(lambda cursor: store.list(owner, limit=3, cursor=cursor), insert_meanwhile)
    old = [s.id for s in seen if s.description.startswith("old")]
    expected = sorted(existing, key=lambda c: (c.updated_at, c.id), reverse=True)
    assert old == [c.id for c in expected]
    assert len({s.id for s in seen}) == len(seen)


def _big_conversation(owner: UserId, size: int) -> Conversation:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    messages = [
        Message(
            id=MessageId.derive("bytes", str(size), str(i)),
            role=Role.USER if i % 2 == 0 else Role.ASSISTANT,
            content=f"message number {i:06d} with a little text",
            created_at=start + timedelta(milliseconds=i),
        )
        for i in range(size)
    ]
    return Conversation(
        id=ConversationId.new(), user_id=owner, created_at=start, updated_at=messages[-1].created_at, messages=messages
    )


async def test_b1_b2_appends_and_last_messages_cost_the_same_bytes_at_10_100_and_10000_messages(recorded: Any) -> None:
    """B1: an append sends and receives the same bytes; B2: the last 50 messages arrive in the same bytes."""
    store, recorder = recorded
    owner = UserId.new()
    appends, tails = {}, {}
    for size in (10, 100, 10_000):
        conversation = _big_conversation(owner, size)
        await store.add(conversation)
        message = Message(
            id=MessageId.derive("append", str(size)),
            role=Role.USER,
            content="one more message",
            created_at=datetime(2026, 2, 1, tzinfo=UTC),
        )
        recorder.clear()
        await store.append_messages(owner, conversation.id, [message])
        assert [e.command_name for e in recorder.events] == ["update"]  # one round trip, no read
        command, reply = next(recorder.commands("update"))
        appends[size] = (_size(command), _size(reply))
        recorder.clear()
        loaded = await store.get(owner, conversation.id, last_messages=50)
        command, reply = next(recorder.commands("find"))
        tails[size] = (_size(command), _size(reply))
        assert loaded.message_count == size + 1
        assert loaded.messages[-1] == message
        assert len(loaded.messages) == min(50, size + 1)
    print(f"bytes per append (sent, received) by conversation size: {appends}")
    print(f"bytes for the last 50 (sent, received): 100 messages {tails[100]}, 10,000 messages {tails[10_000]}")
    assert appends[10] == appends[100] == appends[10_000]
    assert tails[100][0] == tails[10_000][0]
    assert abs(tails[10_000][1] - tails[100][1]) <= 0.1 * tails[100][1]


def _size(document: dict[str, Any]) -> int:
    return len(bson.encode(document, codec_options=CODEC))
