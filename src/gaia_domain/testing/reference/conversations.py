"""The reference ConversationStore: a list of conversations, every answer recomputed from it."""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Sequence
from datetime import datetime

from gaia_domain import validation as v
from gaia_domain.conversations import (
    MAX_CONTENT,
    MAX_CONVERSATION_BYTES,
    MAX_DESCRIPTION,
    Conversation,
    ConversationStats,
    ConversationSummary,
    Message,
    PinnedMessage,
    SearchHit,
    Source,
    check_new_messages,
    check_size,
    messages_size,
    parse_source,
    search_text,
    text_bytes,
    too_large,
)
from gaia_domain.errors import AlreadyExists, InvalidInput, NotFound
from gaia_domain.ids import ConversationId, MessageId, UserId
from gaia_domain.pagination import DEFAULT_PAGE_SIZE, Page
from gaia_domain.testing.reference._paging import check_limit, offset_of, page


def _newest_activity_first(conversations: list[Conversation]) -> list[Conversation]:
    return sorted(conversations, key=lambda c: (c.updated_at, c.id.value), reverse=True)


def _boolean(name: str, value: object) -> None:
    if value is not None and type(value) is not bool:
        raise InvalidInput(name, "must be a boolean")


class ReferenceConversationStore:
    def __init__(self) -> None:
        self.rows: list[Conversation] = []

    def _find(self, user_id: UserId, conversation_id: ConversationId) -> Conversation:
        for row in self.rows:
            if row.id == conversation_id and row.user_id == user_id:
                return row
        raise NotFound("conversation", conversation_id.value)

    def _mine(self, user_id: UserId) -> list[Conversation]:
        return [row for row in self.rows if row.user_id == user_id]

    @staticmethod
    def _copy_in(conversation: Conversation) -> Conversation:
        if not isinstance(conversation, Conversation):
            raise InvalidInput("conversation", "must be a Conversation")
        check_size(0, messages_size(conversation.messages))  # the size budget, recomputed from the messages
        row = copy.deepcopy(conversation)
        row.message_count = len(row.messages)
        return row

    async def add(self, conversation: Conversation) -> None:
        row = self._copy_in(conversation)
        if any(r.id == row.id for r in self.rows):
            raise AlreadyExists("conversation", row.id.value)
        self.rows.append(row)

    async def add_many(self, conversations: Sequence[Conversation]) -> int:
        batch = [self._copy_in(c) for c in conversations]
        before = len(self.rows)
        for row in batch:
            if all(r.id != row.id for r in self.rows):
                self.rows.append(row)
        return len(self.rows) - before

    async def get(
        self, user_id: UserId, conversation_id: ConversationId, *, last_messages: int | None = None
    ) -> Conversation:
        if last_messages is not None:
            v.positive_int("last_messages", last_messages, maximum=10_000)
        result = copy.deepcopy(self._find(user_id, conversation_id))
        if last_messages is not None:
            result.messages = result.messages[max(0, len(result.messages) - last_messages) :]
        return result

    async def list(
        self,
        user_id: UserId,
        *,
        starred: bool | None = None,
        source: Source | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
    ) -> Page[ConversationSummary]:
        size = check_limit(limit)
        _boolean("starred", starred)
        wanted = parse_source(source) if source is not None else None
        scope = f"list:{user_id}:{starred}:{wanted}"
        offset = offset_of(cursor, scope)
        rows = [
            r.summary()
            for r in _newest_activity_first(self._mine(user_id))
            if (starred is None or r.starred is starred) and (wanted is None or r.source is wanted)
        ]
        return page(rows, size, offset, scope)

    async def append_messages(
        self, user_id: UserId, conversation_id: ConversationId, messages: Sequence[Message]
    ) -> None:
        check_new_messages(list(messages))
        added = messages_size(messages)
        if added > MAX_CONVERSATION_BYTES:
            raise too_large("messages")
        row = self._find(user_id, conversation_id)
        existing = {m.id for m in row.messages}
        for message in messages:
            if message.id in existing:
                raise AlreadyExists("message", message.id.value)
        check_size(messages_size(row.messages), added)
        row.messages = row.messages + copy.deepcopy(list(messages))
        row.message_count = len(row.messages)
        row.updated_at = max([row.updated_at] + [m.created_at for m in messages])

    async def update_message(
        self,
        user_id: UserId,
        conversation_id: ConversationId,
        message_id: MessageId,
        *,
        content: str | None = None,
        pinned: bool | None = None,
        edited_at: datetime | None = None,
    ) -> None:
        if content is not None and edited_at is None:
            raise InvalidInput("edited_at", "is required when the content changes")
        if content is not None:
            v.text("message.content", content, max_length=MAX_CONTENT, allow_empty=True, strip=False)
            v.utc_ms("edited_at", edited_at)
        _boolean("pinned", pinned)
        row = self._find(user_id, conversation_id)
        positions = [i for i, m in enumerate(row.messages) if m.id == message_id]
        if not positions:
            raise NotFound("message", message_id.value)
        message = row.messages[positions[0]]
        if content is not None:
            check_size(
                messages_size(row.messages), text_bytes(content) - text_bytes(message.content), "message.content"
            )
            message = dataclasses.replace(message, content=content, edited_at=edited_at)
        if pinned is not None:
            message = dataclasses.replace(message, pinned=pinned)
        row.messages[positions[0]] = message

    async def update_metadata(
        self,
        user_id: UserId,
        conversation_id: ConversationId,
        *,
        description: str | None = None,
        starred: bool | None = None,
        unread: bool | None = None,
    ) -> None:
        if description is not None:
            description = v.text("description", description, max_length=MAX_DESCRIPTION)
        _boolean("starred", starred)
        _boolean("unread", unread)
        row = self._find(user_id, conversation_id)
        row.description = description if description is not None else row.description
        row.starred = starred if starred is not None else row.starred
        row.unread = unread if unread is not None else row.unread

    async def delete(self, user_id: UserId, conversation_id: ConversationId) -> None:
        self.rows.remove(self._find(user_id, conversation_id))

    async def delete_all_for_user(self, user_id: UserId) -> int:
        before = len(self.rows)
        self.rows = [r for r in self.rows if r.user_id != user_id]
        return before - len(self.rows)

    async def messages_page(
        self,
        user_id: UserId,
        conversation_id: ConversationId,
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
    ) -> Page[Message]:
        size = check_limit(limit)
        scope = f"messages:{conversation_id}"
        offset = offset_of(cursor, scope)
        newest_first = list(reversed(copy.deepcopy(self._find(user_id, conversation_id).messages)))
        return page(newest_first, size, offset, scope)

    async def pinned_messages(self, user_id: UserId, *, limit: int = 50) -> Sequence[PinnedMessage]:
        size = check_limit(limit)
        found = [PinnedMessage(r.id, r.description, copy.deepcopy(m)) for r in self._mine(user_id) for m in r.messages]
        found = [p for p in found if p.message.pinned]
        found.sort(key=lambda p: (p.message.created_at, p.message.id.value), reverse=True)
        return found[:size]

    async def search(self, user_id: UserId, text: str, *, limit: int = DEFAULT_PAGE_SIZE) -> Sequence[SearchHit]:
        needle = re.escape(search_text(text))  # the agreed definition of a literal, case-insensitive match
        size = check_limit(limit)

        def contains(haystack: str) -> bool:
            return re.search(needle, haystack, re.IGNORECASE) is not None

        hits = []
        for row in _newest_activity_first(self._mine(user_id)):
            ids = tuple(m.id for m in row.messages if contains(m.content))
            if contains(row.description) or ids:
                hits.append(SearchHit(row.summary(), contains(row.description), ids))
        return hits[:size]

    async def stats(self, user_id: UserId) -> ConversationStats:
        rows = self._mine(user_id)
        by_role: dict[str, int] = {}
        per_day: dict[str, int] = {}
        tools: dict[str, int] = {}
        pinned = 0
        for message in (m for r in rows for m in r.messages):
            by_role[message.role.value] = by_role.get(message.role.value, 0) + 1
            day = message.created_at.strftime("%Y-%m-%d")
            per_day[day] = per_day.get(day, 0) + 1
            pinned += message.pinned
            for entry in message.tool_data:
                tools[entry.tool_name] = tools.get(entry.tool_name, 0) + 1
        top = sorted(tools.items(), key=lambda item: (-item[1], item[0]))[:10]
        return ConversationStats(
            conversations=len(rows),
            messages=sum(by_role.values()),
            pinned=pinned,
            messages_by_role=dict(sorted(by_role.items())),
            messages_per_day=dict(sorted(per_day.items())),
            top_tools=tuple(top),
        )
