"""Random operation sequences on a ConversationStore, compared with a reference one step at a time."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

from gaia_domain.clock import ManualClock
from gaia_domain.conversations import Conversation, Message, Role, Source, ToolData
from gaia_domain.ids import ConversationId, MessageId, UserId
from gaia_domain.ports import ConversationStore
from gaia_domain.testing import strategies as gs
from gaia_domain.testing.machines._paired import PairedMachine, walk

WORDS = ["alpha", "Beta", "GAMMA", "a+b", ".*", "$where", "naïve", "ß", "x(y)", "lisbon"]
words = st.lists(st.sampled_from(WORDS), min_size=0, max_size=3).map(" ".join)
titles = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)  # never blank: no filtering
descriptions = titles | st.sampled_from(["", "   ", "x" * 201])
owner_index = st.integers(min_value=0, max_value=1)
limits = st.sampled_from([1, 2, 3, 4, 1, 2, 3, 5, 0, 201])  # mostly valid, sometimes out of range


@st.composite
def message_drafts(draw: st.DrawFn) -> tuple[MessageId, Role, str, bool, tuple[ToolData, ...], int]:
    tools = draw(st.lists(st.sampled_from(["search", "weather", "code"]), max_size=2))
    return (
        draw(gs.message_ids),
        draw(st.sampled_from(Role)),
        draw(words),
        draw(st.booleans()),
        tuple(ToolData(t) for t in tools),
        draw(st.integers(min_value=-2, max_value=2)),  # ms around "now": ties and older messages
    )


class ConversationStoreMachine(PairedMachine[ConversationStore]):
    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
        self.owners = [UserId.new(), UserId.new()]
        self.conversations: list[tuple[int, ConversationId]] = []
        self.messages: list[tuple[int, ConversationId, MessageId]] = []

    def _messages(self, drafts: list[tuple[MessageId, Role, str, bool, tuple[ToolData, ...], int]]) -> list[Message]:
        now = self.clock.now()
        return [
            Message(id=i, role=r, content=c, created_at=now + timedelta(milliseconds=ms), pinned=p, tool_data=t)
            for i, r, c, p, t, ms in drafts
        ]

    def _owner(self, data: st.DataObject, index: int) -> UserId:
        """Usually the owner, sometimes the other user (who must get NotFound)."""
        wrong = data.draw(st.integers(min_value=0, max_value=9), label="wrong owner") == 0
        return self.owners[1 - index if wrong else index]

    @initialize(
        drafts=st.lists(message_drafts(), min_size=4, max_size=4, unique_by=lambda d: d[0]),
        ids=st.lists(gs.conversation_ids, min_size=2, max_size=2, unique=True),
    )
    def two_conversations(
        self, drafts: list[tuple[MessageId, Role, str, bool, tuple[ToolData, ...], int]], ids: list[ConversationId]
    ) -> None:
        """Every example starts with a conversation per owner, so the other rules meet real data."""
        for owner, conversation_id in enumerate(ids):
            self.add(owner, conversation_id, "alpha lisbon", Source.WEB, drafts[owner * 2 : owner * 2 + 2], 1)

    @rule(
        owner=owner_index,
        conversation_id=gs.conversation_ids,
        description=titles,
        source=st.sampled_from(Source),
        drafts=st.lists(message_drafts(), max_size=3, unique_by=lambda d: d[0]),
        advance=st.integers(min_value=0, max_value=2),
    )
    def add(
        self,
        owner: int,
        conversation_id: ConversationId,
        description: str,
        source: Source,
        drafts: list[tuple[MessageId, Role, str, bool, tuple[ToolData, ...], int]],
        advance: int,
    ) -> None:
        self.clock.advance(timedelta(milliseconds=advance))
        messages = self._messages(drafts)
        conversation = Conversation.start(
            user_id=self.owners[owner],
            clock=self.clock,
            description=description,
            source=source,
            messages=messages,
            conversation_id=conversation_id,
        )
        outcome = self.compare("add", lambda s: s.add(copy.deepcopy(conversation)))
        if outcome[0] == "ok":
            self.conversations.append((owner, conversation_id))
            self.messages.extend((owner, conversation_id, m.id) for m in messages)

    @precondition(lambda self: self.conversations)
    @rule(data=st.data())
    def add_with_a_taken_id(self, data: st.DataObject) -> None:
        owner, conversation_id = data.draw(st.sampled_from(self.conversations))
        twin = Conversation.start(user_id=self._owner(data, owner), clock=self.clock, conversation_id=conversation_id)
        self.compare("add taken id", lambda s: s.add(copy.deepcopy(twin)))

    @rule(data=st.data(), owner=owner_index, ids=st.lists(gs.conversation_ids, max_size=3, unique=True))
    def add_many(self, data: st.DataObject, owner: int, ids: list[ConversationId]) -> None:
        taken = bool(self.conversations) and data.draw(st.booleans(), label="include a taken id")
        if taken:
            ids.append(data.draw(st.sampled_from(self.conversations))[1])
        batch = [Conversation.start(user_id=self.owners[owner], clock=self.clock, conversation_id=i) for i in ids]
        self.compare("add_many", lambda s: s.add_many(copy.deepcopy(batch)))
        known = {c for _, c in self.conversations}
        self.conversations.extend((owner, c.id) for c in batch if c.id not in known)

    @precondition(lambda self: self.conversations)
    @rule(
        data=st.data(),
        drafts=st.lists(message_drafts(), min_size=1, max_size=3, unique_by=lambda d: d[0]),
        advance=st.integers(min_value=0, max_value=2),
    )
    def append(
        self,
        data: st.DataObject,
        drafts: list[tuple[MessageId, Role, str, bool, tuple[ToolData, ...], int]],
        advance: int,
    ) -> None:
        self.clock.advance(timedelta(milliseconds=advance))
        owner, conversation_id = data.draw(st.sampled_from(self.conversations))
        batch = self._messages(drafts)
        if data.draw(st.integers(min_value=0, max_value=15), label="empty batch") == 0:
            batch = []
        mine = [m for _, c, m in self.messages if c == conversation_id]
        if mine and data.draw(st.integers(min_value=0, max_value=5), label="retry a known id") == 0:
            batch.append(
                Message(id=data.draw(st.sampled_from(mine)), role=Role.USER, content="", created_at=self.clock.now())
            )
        user = self._owner(data, owner)
        outcome = self.compare("append", lambda s: s.append_messages(user, conversation_id, copy.deepcopy(batch)))
        if outcome[0] == "ok":
            self.messages.extend((owner, conversation_id, m.id) for m in batch)

    @precondition(lambda self: self.messages)
    @rule(data=st.data(), change=st.sampled_from(["pin", "unpin", "edit", "edit without time", "unknown message"]))
    def update_message(self, data: st.DataObject, change: str) -> None:
        owner, conversation_id, message_id = data.draw(st.sampled_from(self.messages))
        user = self._owner(data, owner)
        if change == "unknown message":
            message_id = data.draw(gs.message_ids)
        content = data.draw(words) if change.startswith("edit") else None
        edited_at = self.clock.now() if change == "edit" else None
        pinned = {"pin": True, "unpin": False}.get(change)
        self.compare(
            f"update_message {change}",
            lambda s: s.update_message(
                user, conversation_id, message_id, content=content, pinned=pinned, edited_at=edited_at
            ),
        )

    @precondition(lambda self: self.conversations)
    @rule(
        data=st.data(),
        description=st.none() | descriptions,
        starred=st.none() | st.booleans(),
        unread=st.none() | st.booleans(),
    )
    def update_metadata(
        self, data: st.DataObject, description: str | None, starred: bool | None, unread: bool | None
    ) -> None:
        owner, conversation_id = data.draw(st.sampled_from(self.conversations))
        user = self._owner(data, owner)
        self.compare(
            "update_metadata",
            lambda s: s.update_metadata(user, conversation_id, description=description, starred=starred, unread=unread),
        )

    @precondition(lambda self: self.conversations)
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        owner, conversation_id = data.draw(st.sampled_from(self.conversations))
        user = self._owner(data, owner)
        self.compare("delete", lambda s: s.delete(user, conversation_id))

    @precondition(lambda self: self.conversations)
    @rule(owner=owner_index)
    def delete_all_for_user(self, owner: int) -> None:
        self.compare("delete_all_for_user", lambda s: s.delete_all_for_user(self.owners[owner]))

    @rule(data=st.data(), last=st.none() | st.integers(min_value=0, max_value=5))
    def get(self, data: st.DataObject, last: int | None) -> None:
        known = bool(self.conversations) and data.draw(st.booleans(), label="known id")
        if known:
            owner, conversation_id = data.draw(st.sampled_from(self.conversations))
            user = self._owner(data, owner)
        else:
            user, conversation_id = self.owners[0], data.draw(gs.conversation_ids)
        self.compare("get", lambda s: s.get(user, conversation_id, last_messages=last))

    @rule(
        owner=owner_index,
        starred=st.none() | st.booleans(),
        source=st.none() | st.sampled_from([Source.WEB, Source.SLACK, Source.TELEGRAM]),
        limit=limits,
    )
    def list_all_pages(self, owner: int, starred: bool | None, source: Source | None, limit: int) -> None:
        user = self.owners[owner]
        self.compare(
            "list pages", lambda s: walk(lambda c: s.list(user, starred=starred, source=source, limit=limit, cursor=c))
        )

    @rule(owner=owner_index, cursor=gs.malformed_cursors)
    def list_with_a_bad_cursor(self, owner: int, cursor: str) -> None:
        self.compare("list bad cursor", lambda s: s.list(self.owners[owner], cursor=cursor))

    @precondition(lambda self: self.conversations)
    @rule(data=st.data(), limit=limits)
    def message_pages(self, data: st.DataObject, limit: int) -> None:
        owner, conversation_id = data.draw(st.sampled_from(self.conversations))
        user = self._owner(data, owner)
        self.compare(
            "message pages", lambda s: walk(lambda c: s.messages_page(user, conversation_id, limit=limit, cursor=c))
        )

    @precondition(lambda self: len(self.conversations) > 1)
    @rule(data=st.data())
    def message_page_with_another_conversations_cursor(self, data: st.DataObject) -> None:
        (owner, first), (_, second) = data.draw(st.lists(st.sampled_from(self.conversations), min_size=2, max_size=2))
        user = self.owners[owner]

        async def cross(store: ConversationStore) -> object:
            page = await store.messages_page(user, first, limit=1)
            if page.next_cursor is None:
                return "single page"
            return await store.messages_page(user, second, cursor=page.next_cursor)

        self.compare("cross cursor", cross)

    @rule(owner=owner_index, limit=limits)
    def pinned(self, owner: int, limit: int) -> None:
        self.compare("pinned", lambda s: s.pinned_messages(self.owners[owner], limit=limit))

    @rule(owner=owner_index, text=st.sampled_from(WORDS) | gs.hostile_text | st.just("  "), limit=limits)
    def search(self, owner: int, text: str, limit: int) -> None:
        self.compare("search", lambda s: s.search(self.owners[owner], text, limit=limit))

    @invariant()
    def stats_agree(self) -> None:
        for user in self.owners:
            self.compare("stats", lambda s: s.stats(user))  # noqa: B023 - compared before the loop moves on
