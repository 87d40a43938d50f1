"""Read-side queries over a user's conversations: pinned messages, literal text search, stats."""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from gaia_domain.conversations import Conversation, ConversationStats, PinnedMessage, SearchHit


def by_activity(conversations: Iterable[Conversation]) -> list[Conversation]:
    """The list order: ``updated_at`` newest first, ties by id descending."""
    return sorted(conversations, key=lambda c: (c.updated_at, c.id), reverse=True)


def pinned(conversations: Iterable[Conversation], limit: int) -> list[PinnedMessage]:
    found = [
        PinnedMessage(c.id, c.description, copy.deepcopy(m)) for c in conversations for m in c.messages if m.pinned
    ]
    found.sort(key=lambda p: (p.message.created_at, p.message.id), reverse=True)
    return found[:limit]


def search(conversations: Iterable[Conversation], text: str, limit: int) -> list[SearchHit]:
    """Case-insensitive substring match; ``re.escape`` keeps the text literal (no pattern, no operator)."""
    pattern = re.compile(re.escape(text), re.IGNORECASE)
    hits: list[SearchHit] = []
    for conversation in by_activity(conversations):
        in_description = pattern.search(conversation.description) is not None
        message_ids = tuple(m.id for m in conversation.messages if pattern.search(m.content))
        if in_description or message_ids:
            hits.append(SearchHit(conversation.summary(), in_description, message_ids))
        if len(hits) == limit:
            break
    return hits


def stats(conversations: Sequence[Conversation]) -> ConversationStats:
    messages = [m for c in conversations for m in c.messages]
    tools = Counter(entry.tool_name for m in messages for entry in m.tool_data)
    per_day = Counter(m.created_at.date().isoformat() for m in messages)
    return ConversationStats(
        conversations=len(conversations),
        messages=len(messages),
        pinned=sum(m.pinned for m in messages),
        messages_by_role=dict(sorted(Counter(m.role.value for m in messages).items())),
        messages_per_day=dict(sorted(per_day.items())),
        top_tools=tuple(sorted(tools.items(), key=lambda item: (-item[1], item[0]))[:10]),
    )
