"""ConversationStore in memory.

Everything is deep-copied in and out, so callers never share state with the store. Every
operation validates its arguments, yields once (as a driver round trip would), then reads and
writes the stored state with no await in between: concurrent operations never lose an update.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
from collections.abc import Sequence
from datetime import datetime

from gaia_adapters.memory import conversation_queries as queries
from gaia_adapters.memory.keyset import decode_time_id, encode_time_id
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
    activity_after_append,
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
from gaia_domain.pagination import DEFAULT_PAGE_SIZE, MAX_CURSOR_INDEX, Page, decode_cursor, encode_cursor, page_size

MAX_LAST_MESSAGES = 10_000


def _flag(name: str, value: object) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise InvalidInput(name, "must be a boolean")
    return value


def _conversation(value: object) -> tuple[Conversation, int]:
    """A copy to store and its size (the conversation's messages_size); over the budget is InvalidInput."""
    if not isinstance(value, Conversation):
        raise InvalidInput("conversation", f"must be a Conversation, got {type(value).__name__}")
    size = messages_size(value.messages)
    check_size(0, size)
    stored = copy.deepcopy(value)
    stored.message_count = len(stored.messages)
    return stored, size


class MemoryConversationStore:
    def __init__(self) -> None:
        self._conversations: dict[ConversationId, Conversation] = {}
        # The running size of each conversation's messages (what MongoDB keeps as ``message_bytes``): every
        # write that changes a message's size moves it by exactly that change, and is refused past the budget.
        self._bytes: dict[ConversationId, int] = {}

    def snapshot(self) -> dict[ConversationId, Conversation]:
        """A deep copy of everything stored (for 'state unchanged' assertions)."""
        return copy.deepcopy(self._conversations)

    def _owned(self, user_id: UserId, conversation_id: ConversationId) -> Conversation:
        stored = self._conversations.get(conversation_id)
        if stored is None or stored.user_id != user_id:
            raise NotFound("conversation", conversation_id.value)  # foreign == missing
        return stored

    def _of(self, user_id: UserId) -> list[Conversation]:
        return [c for c in self._conversations.values() if c.user_id == user_id]

    def _size(self, conversation: Conversation) -> int:
        size = self._bytes.get(conversation.id)
        if size is None:  # not kept (state put in from outside the store): count it, once
            size = self._bytes[conversation.id] = messages_size(conversation.messages)
        return size

    async def add(self, conversation: Conversation) -> None:
        stored, size = _conversation(conversation)
        await asyncio.sleep(0)
        if stored.id in self._conversations:
            raise AlreadyExists("conversation", stored.id.value)
        self._conversations[stored.id] = stored
        self._bytes[stored.id] = size

    async def add_many(self, conversations: Sequence[Conversation]) -> int:
        batch = [_conversation(c) for c in conversations]
        await asyncio.sleep(0)
        inserted = 0
        for stored, size in batch:
            if stored.id not in self._conversations:
                self._conversations[stored.id] = stored
                self._bytes[stored.id] = size
                inserted += 1
        return inserted

    async def get(
        self, user_id: UserId, conversation_id: ConversationId, *, last_messages: int | None = None
    ) -> Conversation:
        user_id, conversation_id = UserId.parse(user_id), ConversationId.parse(conversation_id)
        if last_messages is not None:
            v.positive_int("last_messages", last_messages, maximum=MAX_LAST_MESSAGES)
        await asyncio.sleep(0)
        result = copy.deepcopy(self._owned(user_id, conversation_id))
        if last_messages is not None:
            result.messages = result.messages[-last_messages:]
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
        user_id = UserId.parse(user_id)
        size = page_size(limit)
        starred = _flag("starred", starred)
        wanted_source = parse_source(source) if source is not None else None
        after = None
        if cursor is not None:
            time, raw_id = decode_time_id("conversations", cursor)
            after = (time, ConversationId.parse(raw_id, "cursor"))
        await asyncio.sleep(0)
        rest = [
            c
            for c in queries.by_activity(self._of(user_id))
            if (starred is None or c.starred == starred)
            and (wanted_source is None or c.source == wanted_source)
            and (after is None or (c.updated_at, c.id) < after)
        ]
        items = tuple(c.summary() for c in rest[:size])
        more = len(rest) > size
        return Page(items, encode_time_id("conversations", items[-1].updated_at, items[-1].id) if more else None)

    async def append_messages(
        self, user_id: UserId, conversation_id: ConversationId, messages: Sequence[Message]
    ) -> None:
        user_id, conversation_id = UserId.parse(user_id), ConversationId.parse(conversation_id)
        batch = list(messages)
        check_new_messages(batch)
        added = messages_size(batch)
        if added > MAX_CONVERSATION_BYTES:  # too large whatever the conversation holds: refused before any lookup
            raise too_large("messages")
        batch = copy.deepcopy(batch)
        await asyncio.sleep(0)
        stored = self._owned(user_id, conversation_id)
        known = {m.id for m in stored.messages}
        taken = next((m.id for m in batch if m.id in known), None)
        if taken is not None:
            raise AlreadyExists("message", taken.value)
        size = self._size(stored)
        check_size(size, added)
        stored.messages.extend(batch)
        stored.message_count += len(batch)
        self._bytes[stored.id] = size + added
        stored.updated_at = activity_after_append(stored.updated_at, batch)

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
        user_id, conversation_id = UserId.parse(user_id), ConversationId.parse(conversation_id)
        message_id = MessageId.parse(message_id)
        changes: dict[str, object] = {}
        if content is not None:
            if edited_at is None:
                raise InvalidInput("edited_at", "is required when the content changes")
            changes["content"] = v.text(
                "message.content", content, max_length=MAX_CONTENT, allow_empty=True, strip=False
            )
            changes["edited_at"] = v.utc_ms("edited_at", edited_at)
        if _flag("pinned", pinned) is not None:
            changes["pinned"] = pinned
        await asyncio.sleep(0)
        stored = self._owned(user_id, conversation_id)
        for index, message in enumerate(stored.messages):
            if message.id == message_id:
                size = self._size(stored)
                delta = 0 if content is None else text_bytes(str(changes["content"])) - text_bytes(message.content)
                check_size(size, delta, "message.content")
                stored.messages[index] = dataclasses.replace(message, **changes)  # type: ignore[arg-type]
                self._bytes[stored.id] = size + delta
                return
        raise NotFound("message", message_id.value)

    async def update_metadata(
        self,
        user_id: UserId,
        conversation_id: ConversationId,
        *,
        description: str | None = None,
        starred: bool | None = None,
        unread: bool | None = None,
    ) -> None:
        user_id, conversation_id = UserId.parse(user_id), ConversationId.parse(conversation_id)
        new_description = v.text("description", description, max_length=MAX_DESCRIPTION) if description else None
        if description is not None and new_description is None:
            raise InvalidInput("description", "must not be empty")
        starred, unread = _flag("starred", starred), _flag("unread", unread)
        await asyncio.sleep(0)
        stored = self._owned(user_id, conversation_id)
        if new_description is not None:
            stored.description = new_description
        if starred is not None:
            stored.starred = starred
        if unread is not None:
            stored.unread = unread

    async def delete(self, user_id: UserId, conversation_id: ConversationId) -> None:
        user_id, conversation_id = UserId.parse(user_id), ConversationId.parse(conversation_id)
        await asyncio.sleep(0)
        self._owned(user_id, conversation_id)
        del self._conversations[conversation_id]
        self._bytes.pop(conversation_id, None)

    async def delete_all_for_user(self, user_id: UserId) -> int:
        user_id = UserId.parse(user_id)
        await asyncio.sleep(0)
        mine = [c.id for c in self._of(user_id)]
        for conversation_id in mine:
            del self._conversations[conversation_id]
            self._bytes.pop(conversation_id, None)
        return len(mine)

    async def messages_page(
        self,
        user_id: UserId,
        conversation_id: ConversationId,
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
    ) -> Page[Message]:
        user_id, conversation_id = UserId.parse(user_id), ConversationId.parse(conversation_id)
        size = page_size(limit)
        before: int | None = None
        if cursor is not None:
            key = decode_cursor("messages", cursor)
            index = key.get("i")
            if key.get("c") != conversation_id.value:
                raise InvalidInput("cursor", "belongs to another conversation")
            if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= MAX_CURSOR_INDEX:
                raise InvalidInput("cursor", "is malformed")
            before = index
        await asyncio.sleep(0)
        messages = self._owned(user_id, conversation_id).messages
        end = len(messages) if before is None else min(before, len(messages))
        start = max(0, end - size)
        items = tuple(copy.deepcopy(m) for m in reversed(messages[start:end]))
        return Page(items, encode_cursor("messages", {"c": conversation_id.value, "i": start}) if start > 0 else None)

    async def pinned_messages(self, user_id: UserId, *, limit: int = 50) -> Sequence[PinnedMessage]:
        user_id = UserId.parse(user_id)
        size = page_size(limit)
        await asyncio.sleep(0)
        return queries.pinned(self._of(user_id), size)

    async def search(self, user_id: UserId, text: str, *, limit: int = DEFAULT_PAGE_SIZE) -> Sequence[SearchHit]:
        user_id = UserId.parse(user_id)
        literal = search_text(text)
        size = page_size(limit)
        await asyncio.sleep(0)
        return queries.search(self._of(user_id), literal, size)

    async def stats(self, user_id: UserId) -> ConversationStats:
        user_id = UserId.parse(user_id)
        await asyncio.sleep(0)
        return queries.stats(self._of(user_id))
