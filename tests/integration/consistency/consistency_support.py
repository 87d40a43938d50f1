"""Shared by the consistency tests and their subprocesses: reading the effects.

Not a test module (no ``test_`` prefix): the crash worker imports it too.
"""

from __future__ import annotations

from gaia_domain.conversations import Conversation
from gaia_domain.ids import UserId
from gaia_domain.ports import ConversationStore


async def conversations_of(store: ConversationStore, user_id: UserId) -> list[Conversation]:
    return [await store.get(user_id, summary.id) for summary in await store.list(user_id, limit=200)]
