"""The ConversationStore contract: whole aggregates, owner scoping, activity order, atomic appends, pages."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings

from gaia_domain.clock import Clock, ManualClock
from gaia_domain.conversations import Conversation, Message, Role, Source, ToolData
from gaia_domain.errors import AlreadyExists, InvalidInput, NotFound
from gaia_domain.ids import ConversationId, MessageId, UserId
from gaia_domain.pagination import encode_cursor
from gaia_domain.ports import ConversationStore
from gaia_domain.testing import builders
from gaia_domain.testing import strategies as gs
from gaia_domain.testing.contracts._base import SHARED_BY_SUBCLASSES, ContractBase, walk


def _by_activity(conversations: list[Conversation]) -> list[ConversationId]:
    return [c.id for c in sorted(conversations, key=lambda c: (c.updated_at, c.id), reverse=True)]


class ConversationStoreContract(ContractBase):
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

    async def test_list_orders_by_activity_with_ties_by_id_and_summarises(
        self, conversation_store: ConversationStore
    ) -> None:
        clock = ManualClock(datetime(2026, 4, 1, tzinfo=UTC))
        owner = UserId.new()
        conversations = []
        for step in (0, 0, 0, 3, 3, 1):
            clock.advance(timedelta(milliseconds=step))
            conversations.append(builders.conversation(clock, owner, contents=["hi"] * step))
        await conversation_store.add_many(conversations)
        everything = await conversation_store.list(owner, limit=200)
        assert [s.id for s in everything.items] == _by_activity(conversations)
        assert everything.next_cursor is None
        assert [s.message_count for s in everything.items] == [
            len(c.messages) for c in sorted(conversations, key=lambda c: (c.updated_at, c.id), reverse=True)
        ]
        paged = await walk(lambda c: conversation_store.list(owner, limit=4, cursor=c))
        assert [s.id for s in paged] == _by_activity(conversations)

    async def test_list_filters_by_starred_and_source(
        self, conversation_store: ConversationStore, clock: Clock
    ) -> None:
        owner = UserId.new()
        web, slack, starred_slack = (
            builders.conversation(clock, owner, source=Source.WEB),
            builders.conversation(clock, owner, source=Source.SLACK),
            builders.conversation(clock, owner, source=Source.SLACK),
        )
        await conversation_store.add_many([web, slack, starred_slack])
        await conversation_store.update_metadata(owner, starred_slack.id, starred=True)

        async def ids(**filters: object) -> list[ConversationId]:
            return [s.id for s in (await conversation_store.list(owner, **filters)).items]  # type: ignore[arg-type]

        assert await ids(starred=True) == [starred_slack.id]
        assert await ids(starred=False) == [slack.id, web.id]
        assert await ids(source=Source.SLACK) == [starred_slack.id, slack.id]
        assert await ids(source=Source.SLACK, starred=False) == [slack.id]
        assert await ids(source=Source.DISCORD) == []

    async def test_k09_walking_conversation_pages_while_inserting_returns_each_existing_one_once(
        self, conversation_store: ConversationStore
    ) -> None:
        clock = ManualClock(datetime(2026, 4, 1, tzinfo=UTC))
        owner = UserId.new()
        existing = []
        for index in range(10):
            if index % 4 == 0:
                clock.advance()
            existing.append(builders.conversation(clock, owner))  # ties in fours
        await conversation_store.add_many(existing)

        async def insert_some() -> None:
            clock.advance()
            await conversation_store.add(builders.conversation(clock, owner))
            backdated = builders.conversation(ManualClock(existing[0].updated_at), owner)
            await conversation_store.add(backdated)

        seen = await walk(lambda c: conversation_store.list(owner, limit=3, cursor=c), insert_some)
        ids = [s.id for s in seen]
        assert len(ids) == len(set(ids))
        known = {c.id for c in existing}
        assert [i for i in ids if i in known] == _by_activity(existing)
        keys = [(s.updated_at, s.id) for s in seen]
        assert keys == sorted(keys, reverse=True)

    @pytest.mark.parametrize(
        "cursor",
        [
            "not a cursor",
            encode_cursor("goals", {"t": "2026-01-01T00:00:00+00:00", "id": "0" * 24}),
            encode_cursor("conversations", {"t": "2026-01-01T00:00:00+00:00", "id": "xyz"}),
            encode_cursor("conversations", {"t": "soon", "id": "0" * 24}),
        ],
    )
    async def test_list_rejects_a_malformed_or_foreign_cursor(
        self, conversation_store: ConversationStore, cursor: str
    ) -> None:
        with pytest.raises(InvalidInput) as caught:
            await conversation_store.list(UserId.new(), cursor=cursor)
        assert caught.value.field == "cursor"

    @pytest.mark.parametrize("limit", [0, 201])
    async def test_pages_reject_a_size_out_of_range(
        self, conversation_store: ConversationStore, clock: Clock, limit: int
    ) -> None:
        owner = UserId.new()
        conversation = builders.conversation(clock, owner, contents=["a"])
        await conversation_store.add(conversation)
        for call in (
            conversation_store.list(owner, limit=limit),
            conversation_store.messages_page(owner, conversation.id, limit=limit),
            conversation_store.search(owner, "a", limit=limit),
            conversation_store.pinned_messages(owner, limit=limit),
        ):
            with pytest.raises(InvalidInput) as caught:
                await call
            assert caught.value.field == "limit"

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

    async def test_k09_message_pages_newest_first_while_appending_return_each_once(
        self, conversation_store: ConversationStore, clock: Clock
    ) -> None:
        owner = UserId.new()
        conversation = builders.conversation(clock, owner, contents=[f"m{i}" for i in range(11)])
        await conversation_store.add(conversation)

        async def append_one() -> None:
            await conversation_store.append_messages(owner, conversation.id, [builders.message(clock, "late")])

        seen = await walk(
            lambda c: conversation_store.messages_page(owner, conversation.id, limit=4, cursor=c), append_one
        )
        assert [m.content for m in seen] == [f"m{i}" for i in reversed(range(11))]
        first = await conversation_store.messages_page(owner, conversation.id, limit=2)
        assert [m.content for m in first.items] == ["late", "late"]

    async def test_messages_page_rejects_a_cursor_of_another_conversation(
        self, conversation_store: ConversationStore, clock: Clock
    ) -> None:
        owner = UserId.new()
        one, two = (builders.conversation(clock, owner, contents=["a", "b", "c"]) for _ in range(2))
        await conversation_store.add_many([one, two])
        page = await conversation_store.messages_page(owner, one.id, limit=1)
        assert page.next_cursor is not None
        for cursor in (page.next_cursor, "bogus", encode_cursor("conversations", {"t": "x", "id": one.id.value})):
            with pytest.raises(InvalidInput) as caught:
                await conversation_store.messages_page(owner, two.id, cursor=cursor)
            assert caught.value.field == "cursor"

    async def test_pinned_messages_newest_first_across_own_conversations(
        self, conversation_store: ConversationStore
    ) -> None:
        clock = ManualClock(datetime(2026, 5, 1, tzinfo=UTC))
        owner, other = UserId.new(), UserId.new()
        one = builders.conversation(clock, owner, description="one", contents=["a", "b"])
        clock.advance()
        two = builders.conversation(clock, owner, description="two", contents=["c", "d"])  # c, d share a time
        theirs = builders.conversation(clock, other, contents=["e"])
        await conversation_store.add_many([one, two, theirs])
        for cid, mid in ((one.id, one.messages[0].id), (two.id, two.messages[0].id), (two.id, two.messages[1].id)):
            await conversation_store.update_message(owner, cid, mid, pinned=True)
        await conversation_store.update_message(other, theirs.id, theirs.messages[0].id, pinned=True)
        pinned = await conversation_store.pinned_messages(owner)
        tied = sorted((two.messages[0].id, two.messages[1].id), reverse=True)
        assert [p.message.id for p in pinned] == [*tied, one.messages[0].id]
        assert [p.conversation_id for p in pinned] == [two.id, two.id, one.id]
        assert [p.conversation_description for p in pinned] == ["two", "two", "one"]
        assert all(p.message.pinned for p in pinned)
        assert len(await conversation_store.pinned_messages(owner, limit=1)) == 1

    async def test_search_is_a_case_insensitive_substring_over_description_and_messages(
        self, conversation_store: ConversationStore, clock: Clock
    ) -> None:
        owner, other = UserId.new(), UserId.new()
        by_title = builders.conversation(clock, owner, description="Lisbon trip", contents=["flights?"])
        by_message = builders.conversation(clock, owner, contents=["nothing", "I love LISBON", "and lisbon again"])
        neither = builders.conversation(clock, owner, contents=["Porto"])
        foreign = builders.conversation(clock, other, description="lisbon")
        await conversation_store.add_many([by_title, by_message, neither, foreign])
        hits = await conversation_store.search(owner, "LisBon")
        assert [h.conversation.id for h in hits] == [by_message.id, by_title.id]
        assert (hits[0].description_matches, hits[0].message_ids) == (
            False,
            tuple(m.id for m in by_message.messages[1:]),
        )
        assert (hits[1].description_matches, hits[1].message_ids) == (True, ())
        assert hits[0].conversation.message_count == 3
        assert [h.conversation.id for h in await conversation_store.search(owner, "lisbon", limit=1)] == [by_message.id]
        with pytest.raises(InvalidInput) as caught:
            await conversation_store.search(owner, "   ")
        assert caught.value.field == "text"

    @pytest.mark.parametrize(
        "text",
        [".*", "a+b", "(x", "[abc]", "\\d", "$where", '{"$ne": null}', "^start", "end$", "a|b", "?", "{2}"],
    )
    async def test_search_treats_metacharacters_and_operators_as_literal_text(
        self, conversation_store: ConversationStore, clock: Clock, text: str
    ) -> None:
        owner = UserId.new()
        contents = [
            "literal .* here", "a+b=c", "(x) and [abc]", "\\d is a digit class", "$where: 1", '{"$ne": null}',
            "^start here", "the end$", "a|b pipe", "why?", "x{2}", "aaab", "digit 5", "anything at all", "abc", "ab",
        ]  # fmt: skip
        conversation = builders.conversation(clock, owner, description="meta", contents=contents)
        await conversation_store.add(conversation)
        hits = await conversation_store.search(owner, text)
        expected = tuple(m.id for m in conversation.messages if text.lower() in m.content.lower())
        assert expected, "every text occurs literally in some message"
        assert [h.message_ids for h in hits] == [expected]

    async def test_stats_count_messages_per_utc_day_role_pins_and_top_tools(
        self, conversation_store: ConversationStore
    ) -> None:
        owner = UserId.new()
        late = datetime(2026, 6, 1, 23, 59, 59, 999000, tzinfo=UTC)
        local_next_day = datetime(2026, 6, 2, 1, 0, tzinfo=timezone(timedelta(hours=2)))  # 2026-06-01 23:00 UTC

        def msg(role: Role, at: datetime, tools: tuple[str, ...] = (), pinned: bool = False) -> Message:
            return Message.new(
                role=role, content="x", created_at=at, tool_data=[ToolData(t) for t in tools], pinned=pinned
            )

        one = Conversation.start(
            user_id=owner,
            clock=ManualClock(late),
            messages=[
                msg(Role.USER, late),
                msg(Role.ASSISTANT, local_next_day, ("search", "weather"), pinned=True),
                msg(Role.TOOL, late + timedelta(milliseconds=1), ("search",)),
            ],
        )
        two = Conversation.start(
            user_id=owner,
            clock=ManualClock(late),
            messages=[msg(Role.ASSISTANT, late + timedelta(days=2), ("calendar", "search", "weather"))],
        )
        empty = Conversation.start(user_id=owner, clock=ManualClock(late))
        await conversation_store.add_many([one, two, empty])
        await conversation_store.add(builders.conversation(ManualClock(late), UserId.new(), contents=["other"]))
        stats = await conversation_store.stats(owner)
        assert (stats.conversations, stats.messages, stats.pinned) == (3, 4, 1)
        assert stats.messages_by_role == {"assistant": 2, "tool": 1, "user": 1}
        assert stats.messages_per_day == {"2026-06-01": 2, "2026-06-02": 1, "2026-06-03": 1}
        assert list(stats.messages_per_day) == sorted(stats.messages_per_day)
        assert stats.top_tools == (("search", 3), ("weather", 2), ("calendar", 1))
        nobody = await conversation_store.stats(UserId.new())
        assert (nobody.conversations, nobody.messages, nobody.messages_by_role, nobody.top_tools) == (0, 0, {}, ())
