"""Domain objects for the benchmarks, built quickly and with sizes that do not vary between sides.

Message contents have a fixed length, so any difference in bytes between two sides of a pair comes from
the framework, not from the data.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from gaia_domain.conversations import Conversation, Message, Role
from gaia_domain.ids import ConversationId, MessageId, UserId

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_sequence = itertools.count()


def message(index: int, at: datetime, *, words: str = "with a little text") -> Message:
    """A message whose encoded size does not depend on ``index`` (below 10**8)."""
    return Message(
        id=MessageId.new(),
        role=Role.USER if index % 2 == 0 else Role.ASSISTANT,
        content=f"message number {index:08d} {words}",
        created_at=at,
    )


def conversation(
    owner: UserId, messages: int, *, at: datetime = EPOCH, words: str = "with a little text"
) -> Conversation:
    """A conversation of ``messages`` messages, 1 ms apart from ``at``; its activity time is the newest message."""
    built = [message(i, at + timedelta(milliseconds=i), words=words) for i in range(messages)]
    activity = built[-1].created_at if built else at
    return Conversation(
        id=ConversationId.new(),
        user_id=owner,
        created_at=at,
        updated_at=activity,
        description=f"benchmark conversation {next(_sequence):08d}",
        messages=built,
    )


def new_messages(count: int, at: datetime) -> list[Message]:
    """``count`` fresh messages to append (new ids), all of the same encoded size."""
    return [message(i, at + timedelta(milliseconds=i)) for i in range(count)]
