"""The ConversationStore contract, read side: activity-ordered keyset pages, message pages, pins, search, stats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from gaia_domain.clock import Clock, ManualClock
from gaia_domain.conversations import Conversation, Message, Role, Source, ToolData
from gaia_domain.errors import InvalidInput
from gaia_domain.ids import ConversationId, UserId
from gaia_domain.pagination import MAX_CURSOR_INDEX, Page, encode_cursor
from gaia_domain.ports import ConversationStore
from gaia_domain.testing import builders
from gaia_domain.testing.contracts._base import ContractBase, walk


def by_activity(conversations: list[Conversation]) -> list[ConversationId]:
    """The list order: ``updated_at`` newest first, ties by id descending."""
    return [c.id for c in sorted(conversations, key=lambda c: (c.updated_at, c.id), reverse=True)]


class ConversationQueriesContract(ContractBase):
    """Mixed into :class:`ConversationStoreContract`; not meant to be used alone."""

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
        assert [s.id for s in everything.items] == by_activity(conversations)
        assert everything.next_cursor is None
        assert [s.message_count for s in everything.items] == [
            len(c.messages) for c in sorted(conversations, key=lambda c: (c.updated_at, c.id), reverse=True)
        ]
        paged = await walk(lambda c: conversation_store.list(owner, limit=4, cursor=c))
        assert [s.id for s in paged] == by_activity(conversations)

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
        assert [i for i in ids if i in known] == by_activity(existing)
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

    @pytest.mark.parametrize("index", [-1, 2**31, 2**63, 10**30])
    async def test_messages_page_rejects_a_cursor_with_an_index_out_of_range(
        self, conversation_store: ConversationStore, clock: Clock, index: int
    ) -> None:
        # The cursor key is public, so such a cursor can be made; it must be refused, never reach the driver.
        owner = UserId.new()
        conversation = builders.conversation(clock, owner, contents=["a", "b", "c"])
        await conversation_store.add(conversation)
        cursor = encode_cursor("messages", {"c": conversation.id.value, "i": index})
        with pytest.raises(InvalidInput) as caught:
            await conversation_store.messages_page(owner, conversation.id, cursor=cursor)
        assert caught.value.field == "cursor"

    @pytest.mark.parametrize("index", [5, 6, 9, 50, MAX_CURSOR_INDEX])
    async def test_a_message_cursor_past_the_end_pages_from_the_last_message(
        self, conversation_store: ConversationStore, clock: Clock, index: int
    ) -> None:
        # Such a cursor can be made by hand (the key is public): the page ends at the last message, as if the
        # cursor pointed there; never an empty page that still carries a next cursor.
        owner = UserId.new()
        conversation = builders.conversation(clock, owner, contents=[f"m{i}" for i in range(5)])
        await conversation_store.add(conversation)
        cursor = encode_cursor("messages", {"c": conversation.id.value, "i": index})
        page = await conversation_store.messages_page(owner, conversation.id, limit=2, cursor=cursor)
        assert [m.content for m in page.items] == ["m4", "m3"]
        assert page.next_cursor is not None

        async def fetch(c: str | None) -> Page[Message]:
            return await conversation_store.messages_page(owner, conversation.id, limit=2, cursor=c or cursor)

        assert [m.content for m in await walk(fetch)] == ["m4", "m3", "m2", "m1", "m0"]

    async def test_a_message_cursor_of_a_re_created_shorter_conversation_pages_from_its_last_message(
        self, conversation_store: ConversationStore, clock: Clock
    ) -> None:
        owner = UserId.new()
        long = builders.conversation(clock, owner, contents=[f"old{i}" for i in range(30)])
        await conversation_store.add(long)
        cursor = (await conversation_store.messages_page(owner, long.id, limit=2)).next_cursor
        assert cursor is not None
        await conversation_store.delete(owner, long.id)
        short = builders.conversation(clock, owner, contents=["new0", "new1", "new2"])
        short.id = long.id
        await conversation_store.add(short)
        page = await conversation_store.messages_page(owner, short.id, limit=2, cursor=cursor)
        assert [m.content for m in page.items] == ["new2", "new1"]
        assert page.next_cursor is not None
        last = await conversation_store.messages_page(owner, short.id, limit=2, cursor=page.next_cursor)
        assert ([m.content for m in last.items], last.next_cursor) == (["new0"], None)

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
