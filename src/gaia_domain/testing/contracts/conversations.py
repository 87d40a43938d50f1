"""The ConversationStore contract: whole aggregates, owner scoping, atomic appends and updates (plus the read side)."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings

from gaia_domain.clock import Clock, ManualClock
from gaia_domain.conversations import (
    MAX_CONTENT,
    MAX_CONVERSATION_BYTES,
    MAX_TOOL_ENTRIES,
    MESSAGE_OVERHEAD_BYTES,
    Conversation,
    Message,
    Role,
    Source,
    ToolData,
    message_size,
    messages_size,
)
from gaia_domain.errors import AlreadyExists, InvalidInput, NotFound
from gaia_domain.ids import ConversationId, MessageId, UserId
from gaia_domain.ports import ConversationStore
from gaia_domain.testing import builders
from gaia_domain.testing import strategies as gs
from gaia_domain.testing.contracts._base import SHARED_BY_SUBCLASSES
from gaia_domain.testing.contracts.conversation_queries import ConversationQueriesContract

_BLOB = ToolData("blob", {"b": "x" * 250_000})  # one string shared by every entry: big messages, little memory


def messages_of_size(clock: Clock, size: int) -> list[Message]:
    """A few messages whose :func:`message_size` adds up to exactly ``size`` (at least one message's overhead);
    tool data carries the bulk, so 15 MiB take two messages."""
    entry = message_size(Message.new(role=Role.TOOL, content="", clock=clock, tool_data=[_BLOB]))
    entry -= MESSAGE_OVERHEAD_BYTES
    messages: list[Message] = []
    remaining = size
    while remaining:
        assert remaining >= MESSAGE_OVERHEAD_BYTES, remaining
        entries = min(MAX_TOOL_ENTRIES, (remaining - MESSAGE_OVERHEAD_BYTES) // entry)
        content = min(MAX_CONTENT, remaining - MESSAGE_OVERHEAD_BYTES - entries * entry)
        if 0 < remaining - MESSAGE_OVERHEAD_BYTES - entries * entry - content < MESSAGE_OVERHEAD_BYTES:
            content -= MESSAGE_OVERHEAD_BYTES  # leave the next message room for its own overhead
        message = Message.new(role=Role.TOOL, content="y" * content, clock=clock, tool_data=[_BLOB] * entries)
        messages.append(message)
        remaining -= message_size(message)
    assert messages_size(messages) == size
    return messages


def filler(clock: Clock, size: int) -> Message:
    """One plain message of exactly ``size`` bytes (message_size)."""
    message = builders.message(clock, "z" * (size - MESSAGE_OVERHEAD_BYTES))
    assert message_size(message) == size
    return message


class ConversationStoreContract(ConversationQueriesContract):
    @settings(max_examples=25, deadline=None, suppress_health_check=SHARED_BY_SUBCLASSES)
    @given(conversation=gs.conversations())
    async def test_any_valid_conversation_round_trips_exactly(
        self, conversation_store: ConversationStore, conversation: Conversation
    ) -> None:
        conversation.id, conversation.user_id = ConversationId.new(), UserId.new()  # the store outlives examples
        await conversation_store.add(copy.deepcopy(conversation))
        loaded = await conversation_store.get(conversation.user_id, conversation.id)
        assert loaded == conversation  # unicode, JSON tool data, flags and millisecond times, exactly
        summary = (await conversation_store.list(conversation.user_id)).items[0]
        assert summary == conversation.summary()

    async def test_k02_get_returns_the_whole_aggregate_as_an_independent_copy(
        self, conversation_store: ConversationStore, clock: Clock
    ) -> None:
        owner = UserId.new()
        question = builders.message(clock, "Find flights to Lisbon")
        answer = Message.new(
            role=Role.ASSISTANT,
            content="Here are three options.",
            clock=clock,
            reply_to=question.id,
            tool_data=[ToolData("flights", {"results": [{"price": 129.5, "stops": 0}], "ok": True}, "travel")],
        )
        conversation = Conversation.start(
            user_id=owner, clock=clock, description="Trip", source=Source.TELEGRAM, messages=[question, answer]
        )
        await conversation_store.add(conversation)
        expected = copy.deepcopy(conversation)
        conversation.messages.clear()  # the caller's object is not the stored state
        loaded = await conversation_store.get(owner, conversation.id)
        assert loaded == expected
        assert [m.id for m in loaded.messages] == [question.id, answer.id]
        assert loaded.messages[1].tool_data[0].data == {"results": [{"price": 129.5, "stops": 0}], "ok": True}
        assert loaded.message_count == 2
        loaded.messages.pop()
        loaded.messages[0].tool_data  # noqa: B018 - reading needs no I/O
        assert await conversation_store.get(owner, conversation.id) == expected

    async def test_k05_times_read_back_utc_aware_and_equal_to_the_millisecond(
        self, conversation_store: ConversationStore
    ) -> None:
        local = timezone(timedelta(hours=-3, minutes=-30))
        at = datetime(2026, 12, 31, 22, 15, 0, 987654, tzinfo=local)
        owner = UserId.new()
        conversation = Conversation.start(
            user_id=owner,
            clock=ManualClock(at),
            messages=[Message.new(role=Role.USER, content="late", created_at=at)],
        )
        await conversation_store.add(conversation)
        loaded = await conversation_store.get(owner, conversation.id)
        expected = datetime(2027, 1, 1, 1, 45, 0, 987000, tzinfo=UTC)
        for value in (loaded.created_at, loaded.updated_at, loaded.messages[0].created_at):
            assert value == expected
            assert value.utcoffset() == timedelta(0)
        summary = (await conversation_store.list(owner)).items[0]
        assert summary.updated_at == expected
        assert summary.updated_at.utcoffset() == timedelta(0)

    async def test_k06_ids_read_back_as_strings(self, conversation_store: ConversationStore, clock: Clock) -> None:
        owner = UserId.new()
        conversation = builders.conversation(clock, owner, contents=["a", "b"])
        await conversation_store.add(conversation)
        loaded = await conversation_store.get(owner, conversation.id)
        assert type(loaded.id.value) is str
        assert type(loaded.user_id.value).__name__ == "UUID"
        assert all(type(m.id.value) is str for m in loaded.messages)
        assert loaded.id == conversation.id

    async def test_add_with_a_taken_id_is_already_exists_whoever_owns_it(
        self, conversation_store: ConversationStore, clock: Clock
    ) -> None:
        first = builders.conversation(clock, UserId.new(), description="first")
        await conversation_store.add(first)
        thief = builders.conversation(clock, UserId.new(), description="second")
        thief.id = first.id
        with pytest.raises(AlreadyExists):
            await conversation_store.add(thief)
        assert (await conversation_store.get(first.user_id, first.id)).description == "first"

    async def test_add_many_skips_existing_ids_and_counts_the_inserted(
        self, conversation_store: ConversationStore, clock: Clock
    ) -> None:
        owner = UserId.new()
        existing = builders.conversation(clock, owner, description="kept")
        await conversation_store.add(existing)
        clash = builders.conversation(clock, owner, description="ignored")
        clash.id = existing.id
        fresh = [builders.conversation(clock, owner, contents=["x"]) for _ in range(3)]
        assert await conversation_store.add_many([clash, *fresh]) == 3
        assert await conversation_store.add_many(fresh) == 0
        assert (await conversation_store.get(owner, existing.id)).description == "kept"
        assert len((await conversation_store.list(owner)).items) == 4

    async def test_a_foreign_conversation_behaves_exactly_like_a_missing_one(
        self, conversation_store: ConversationStore, clock: Clock
    ) -> None:
        owner, stranger = UserId.new(), UserId.new()
        conversation = builders.conversation(clock, owner, contents=["secret"])
        await conversation_store.add(conversation)
        message_id = conversation.messages[0].id
        for cid in (conversation.id, ConversationId.new()):
            with pytest.raises(NotFound):
                await conversation_store.get(stranger, cid)
            with pytest.raises(NotFound):
                await conversation_store.append_messages(stranger, cid, [builders.message(clock)])
            with pytest.raises(NotFound):
                await conversation_store.update_message(stranger, cid, message_id, pinned=True)
            with pytest.raises(NotFound):
                await conversation_store.update_metadata(stranger, cid, starred=True)
            with pytest.raises(NotFound):
                await conversation_store.messages_page(stranger, cid)
            with pytest.raises(NotFound):
                await conversation_store.delete(stranger, cid)
        assert (await conversation_store.list(stranger)).items == ()
        assert await conversation_store.search(stranger, "secret") == []
        assert await conversation_store.pinned_messages(stranger) == []
        assert await conversation_store.delete_all_for_user(stranger) == 0
        assert await conversation_store.get(owner, conversation.id) == conversation

    @pytest.mark.parametrize("last", [1, 3, 7, 50])
    async def test_k02_get_last_messages_returns_exactly_the_last_n_in_order(
        self, conversation_store: ConversationStore, clock: Clock, last: int
    ) -> None:
        owner = UserId.new()
        conversation = builders.conversation(clock, owner, contents=[f"m{i}" for i in range(7)])
        await conversation_store.add(conversation)
        loaded = await conversation_store.get(owner, conversation.id, last_messages=last)
        assert [m.content for m in loaded.messages] == [f"m{i}" for i in range(7)][-last:]
        assert loaded.message_count == 7

    @pytest.mark.parametrize("last", [0, -2])
    async def test_get_rejects_a_non_positive_last_messages(
        self, conversation_store: ConversationStore, clock: Clock, last: int
    ) -> None:
        owner = UserId.new()
        conversation = builders.conversation(clock, owner, contents=["a"])
        await conversation_store.add(conversation)
        with pytest.raises(InvalidInput) as caught:
            await conversation_store.get(owner, conversation.id, last_messages=last)
        assert caught.value.field == "last_messages"

    async def test_append_keeps_order_counts_and_moves_activity_to_the_newest_message(
        self, conversation_store: ConversationStore, clock: Clock
    ) -> None:
        owner = UserId.new()
        conversation = builders.conversation(clock, owner, contents=["first"])
        await conversation_store.add(conversation)
        newer = [builders.message(clock, "second"), builders.message(clock, "third")]
        await conversation_store.append_messages(owner, conversation.id, newer)
        older = Message.new(role=Role.SYSTEM, content="backfill", created_at=conversation.created_at)
        await conversation_store.append_messages(owner, conversation.id, [older])
        loaded = await conversation_store.get(owner, conversation.id)
        assert [m.content for m in loaded.messages] == ["first", "second", "third", "backfill"]
        assert loaded.message_count == 4
        assert loaded.updated_at == newer[-1].created_at  # never moved backwards by the older message
        assert (await conversation_store.list(owner)).items[0].message_count == 4

    async def test_append_with_a_known_message_id_appends_nothing(
        self, conversation_store: ConversationStore, clock: Clock
    ) -> None:
        owner = UserId.new()
        conversation = builders.conversation(clock, owner, contents=["one"])
        await conversation_store.add(conversation)
        retry = [builders.message(clock, "new"), conversation.messages[0]]
        with pytest.raises(AlreadyExists):
            await conversation_store.append_messages(owner, conversation.id, retry)
        twice = builders.message(clock, "twice")
        with pytest.raises(AlreadyExists):
            await conversation_store.append_messages(owner, conversation.id, [twice, twice])
        with pytest.raises(InvalidInput) as caught:
            await conversation_store.append_messages(owner, conversation.id, [])
        assert caught.value.field == "messages"
        assert await conversation_store.get(owner, conversation.id) == conversation

    async def test_k08_fifty_concurrent_appends_of_distinct_messages_lose_nothing(
        self, conversation_store: ConversationStore, clock: Clock
    ) -> None:
        owner = UserId.new()
        conversation = builders.conversation(clock, owner)
        await conversation_store.add(conversation)
        messages = [builders.message(clock, f"concurrent {i}") for i in range(50)]
        await asyncio.gather(*(conversation_store.append_messages(owner, conversation.id, [m]) for m in messages))
        loaded = await conversation_store.get(owner, conversation.id)
        assert loaded.message_count == 50
        assert len(loaded.messages) == 50
        assert {m.id for m in loaded.messages} == {m.id for m in messages}
        assert loaded.updated_at == max(m.created_at for m in messages)

    async def test_k08_twenty_concurrent_edits_of_one_message_all_succeed_and_one_of_them_stays(
        self, conversation_store: ConversationStore, clock: Clock
    ) -> None:
        owner = UserId.new()
        conversation = builders.conversation(clock, owner, contents=["original", "other"])
        await conversation_store.add(conversation)
        target = conversation.messages[0].id
        edited_at = clock.now()
        contents = [f"edit {i} " + "é" * i for i in range(20)]  # of different UTF-8 sizes: the budget moves each time
        await asyncio.gather(
            *(
                conversation_store.update_message(owner, conversation.id, target, content=text, edited_at=edited_at)
                for text in contents
            )
        )
        loaded = await conversation_store.get(owner, conversation.id)
        assert loaded.messages[0].content in contents
        assert loaded.messages[1].content == "other"
        assert loaded.message_count == 2

    async def test_k08_concurrent_pin_unpin_and_edit_mixed_with_appends_lose_nothing(
        self, conversation_store: ConversationStore, clock: Clock
    ) -> None:
        owner = UserId.new()
        conversation = builders.conversation(clock, owner, contents=[f"orig {i}" for i in range(20)])
        for index in range(0, 20, 3):  # some start pinned, so unpinning is visible
            conversation.messages[index] = dataclasses.replace(conversation.messages[index], pinned=True)
        await conversation_store.add(conversation)
        edited_at = clock.now()
        operations = []
        expected: dict[MessageId, tuple[str, bool]] = {}
        for index, message in enumerate(conversation.messages):
            if index % 2 == 0:
                operations.append(
                    conversation_store.update_message(owner, conversation.id, message.id, pinned=not message.pinned)
                )
                expected[message.id] = (message.content, not message.pinned)
            else:
                operations.append(
                    conversation_store.update_message(
                        owner, conversation.id, message.id, content=f"edited {index}", edited_at=edited_at
                    )
                )
                expected[message.id] = (f"edited {index}", message.pinned)
        appended = [builders.message(clock, f"appended {i}") for i in range(20)]
        operations.extend(conversation_store.append_messages(owner, conversation.id, [m]) for m in appended)
        await asyncio.gather(*operations)
        loaded = await conversation_store.get(owner, conversation.id)
        assert loaded.message_count == 40 == len(loaded.messages)
        by_id = {m.id: m for m in loaded.messages}
        assert {m.id: (m.content, m.pinned) for m in loaded.messages[:20]} == expected
        assert all(by_id[m.id].content == m.content for m in appended)
        assert all(
            by_id[m.id].edited_at == (edited_at if by_id[m.id].content.startswith("edited") else None)
            for m in conversation.messages
        )

    async def test_update_message_edits_content_with_edited_at_and_pins(
        self, conversation_store: ConversationStore, clock: Clock
    ) -> None:
        owner = UserId.new()
        conversation = builders.conversation(clock, owner, contents=["typo", "fine"])
        await conversation_store.add(conversation)
        target = conversation.messages[0].id
        with pytest.raises(InvalidInput) as caught:
            await conversation_store.update_message(owner, conversation.id, target, content="fixed")
        assert caught.value.field == "edited_at"
        edited_at = clock.now()
        await conversation_store.update_message(owner, conversation.id, target, content="fixed", edited_at=edited_at)
        await conversation_store.update_message(owner, conversation.id, target, pinned=True)
        with pytest.raises(NotFound):
            await conversation_store.update_message(owner, conversation.id, MessageId.new(), pinned=True)
        loaded = await conversation_store.get(owner, conversation.id)
        first = loaded.messages[0]
        assert (first.content, first.edited_at, first.pinned) == ("fixed", edited_at, True)
        assert loaded.messages[1] == conversation.messages[1]
        assert loaded.updated_at == conversation.updated_at  # editing and pinning are not new activity

    async def test_update_metadata_renames_stars_marks_read_and_keeps_the_activity_time(
        self, conversation_store: ConversationStore, clock: Clock
    ) -> None:
        owner = UserId.new()
        conversation = builders.conversation(clock, owner, contents=["x"])
        await conversation_store.add(conversation)
        await conversation_store.update_metadata(owner, conversation.id, description="Renamed", starred=True)
        await conversation_store.update_metadata(owner, conversation.id, unread=True)
        loaded = await conversation_store.get(owner, conversation.id)
        assert (loaded.description, loaded.starred, loaded.unread) == ("Renamed", True, True)
        assert loaded.updated_at == conversation.updated_at
        with pytest.raises(InvalidInput) as caught:
            await conversation_store.update_metadata(owner, conversation.id, description="x" * 201)
        assert caught.value.field == "description"
        assert (await conversation_store.get(owner, conversation.id)).description == "Renamed"

    async def test_delete_and_delete_all_for_user(self, conversation_store: ConversationStore, clock: Clock) -> None:
        owner, other = UserId.new(), UserId.new()
        mine = [builders.conversation(clock, owner) for _ in range(3)]
        theirs = builders.conversation(clock, other)
        await conversation_store.add_many([*mine, theirs])
        await conversation_store.delete(owner, mine[0].id)
        with pytest.raises(NotFound):
            await conversation_store.get(owner, mine[0].id)
        with pytest.raises(NotFound):
            await conversation_store.delete(owner, mine[0].id)
        assert await conversation_store.delete_all_for_user(owner) == 2
        assert (await conversation_store.list(owner)).items == ()
        assert await conversation_store.get(other, theirs.id) == theirs

    # ------------------------------------------------------------------ the size budget (one MongoDB document)

    async def test_an_append_past_the_size_limit_is_invalid_input_and_changes_nothing(
        self, conversation_store: ConversationStore, clock: Clock
    ) -> None:
        owner = UserId.new()
        conversation = Conversation.start(
            user_id=owner, clock=clock, messages=messages_of_size(clock, MAX_CONVERSATION_BYTES - 1_000)
        )
        await conversation_store.add(conversation)
        exact = filler(clock, 1_000)
        await conversation_store.append_messages(owner, conversation.id, [exact])  # up to the limit: fine
        full = await conversation_store.get(owner, conversation.id)
        for batch in ([builders.message(clock, "")], [filler(clock, 300), filler(clock, 300)]):
            with pytest.raises(InvalidInput) as caught:
                await conversation_store.append_messages(owner, conversation.id, batch)
            assert caught.value.field == "messages"
            assert f"size limit of {MAX_CONVERSATION_BYTES} bytes" in caught.value.reason
        with pytest.raises(InvalidInput) as caught:  # a batch too large by itself, whatever the conversation holds
            await conversation_store.append_messages(
                owner, conversation.id, messages_of_size(clock, MAX_CONVERSATION_BYTES + 1)
            )
        assert caught.value.field == "messages"
        after = await conversation_store.get(owner, conversation.id)
        assert after == full
        assert after.message_count == len(conversation.messages) + 1
        assert [m.id for m in after.messages][-1] == exact.id
        other = builders.conversation(clock, owner, contents=["small"])  # other conversations are not affected
        await conversation_store.add(other)
        await conversation_store.append_messages(owner, other.id, [builders.message(clock, "still fine")])
        assert (await conversation_store.get(owner, other.id)).message_count == 2

    async def test_content_edits_keep_the_size_exact_and_are_refused_past_the_limit(
        self, conversation_store: ConversationStore, clock: Clock
    ) -> None:
        owner = UserId.new()
        small = builders.message(clock, "a" * 1_000)
        bulk = messages_of_size(clock, MAX_CONVERSATION_BYTES - 100 - message_size(small))
        conversation = Conversation.start(user_id=owner, clock=clock, messages=[*bulk, small])
        await conversation_store.add(conversation)
        edited_at = clock.now()

        async def edit(content: str) -> None:
            await conversation_store.update_message(
                owner, conversation.id, small.id, content=content, edited_at=edited_at
            )

        await edit("é" * 550)  # 1,100 bytes of UTF-8: 100 more, exactly the room left
        with pytest.raises(InvalidInput) as caught:
            await edit("é" * 550 + "!")
        assert caught.value.field == "message.content"
        assert f"size limit of {MAX_CONVERSATION_BYTES} bytes" in caught.value.reason
        assert (await conversation_store.get(owner, conversation.id, last_messages=1)).messages[0].content == "é" * 550
        await conversation_store.update_message(owner, conversation.id, small.id, pinned=True)  # no size change
        await edit("")  # frees its 1,100 bytes, exactly
        await conversation_store.append_messages(owner, conversation.id, [filler(clock, 1_100)])
        with pytest.raises(InvalidInput):
            await conversation_store.append_messages(owner, conversation.id, [builders.message(clock, "")])
        loaded = await conversation_store.get(owner, conversation.id, last_messages=2)
        assert [(m.content, m.pinned) for m in loaded.messages[:1]] == [("", True)]
        assert loaded.message_count == len(bulk) + 2

    async def test_a_conversation_added_past_the_size_limit_is_invalid_input(
        self, conversation_store: ConversationStore, clock: Clock
    ) -> None:
        owner = UserId.new()
        huge = Conversation.start(
            user_id=owner, clock=clock, messages=messages_of_size(clock, MAX_CONVERSATION_BYTES + 1)
        )
        fine = builders.conversation(clock, owner, contents=["fine"])
        with pytest.raises(InvalidInput) as caught:
            await conversation_store.add(huge)
        assert caught.value.field == "messages"
        with pytest.raises(InvalidInput):
            await conversation_store.add_many([fine, huge])  # checked before anything is written
        assert (await conversation_store.list(owner)).items == ()
        with pytest.raises(NotFound):
            await conversation_store.get(owner, huge.id)
