"""Property tests on the real server (through the sync store: no event loop needed per example).

Any valid conversation round-trips exactly (ids, times to the millisecond in UTC, tool data), and any
search text (patterns, operators, non-ASCII) is matched literally and case-insensitively, like Python's
``re.search(re.escape(text), s, re.IGNORECASE)``.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaia_adapters.mongo.collections import SyncCollectionRegistry
from gaia_adapters.mongo.documents import conversation_from_document, conversation_to_document
from gaia_adapters.mongo.sync import SyncMongoConversationStore
from gaia_domain.clock import TickingClock
from gaia_domain.conversations import Conversation
from gaia_domain.ids import ConversationId, UserId
from gaia_domain.testing import builders
from gaia_domain.testing import strategies as gs

pytestmark = pytest.mark.integration

SERVER_EXAMPLES = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))

CORPUS = [
    "Regex (a+)+$ hangs",
    'price: $5.00 {"$gt": ""}',
    "STRASSE and straße",
    "Напомни мне позвонить",
    "back\\slash and [brackets] | pipes",
    "this.password == 'x'; return true",
    "tab\tand newline\nhere",
]


@pytest.fixture(scope="module")
def store(sync_registry: SyncCollectionRegistry) -> SyncMongoConversationStore:
    return SyncMongoConversationStore(sync_registry)


@settings(max_examples=60, deadline=None)
@given(conversation=gs.conversations())
def test_documents_round_trip_without_a_server(conversation: Conversation) -> None:
    assert conversation_from_document(conversation_to_document(conversation)) == conversation


@SERVER_EXAMPLES
@given(conversation=gs.conversations(max_messages=4))
def test_any_conversation_round_trips_exactly_through_the_server(
    store: SyncMongoConversationStore, conversation: Conversation
) -> None:
    conversation.user_id = UserId.new()  # a fresh owner and id per example: examples never see each other
    conversation.id = ConversationId.new()
    store.add(conversation)
    loaded = store.get(conversation.user_id, conversation.id)
    assert loaded == conversation
    assert all(m.created_at.utcoffset() == timedelta(0) for m in loaded.messages)


@SERVER_EXAMPLES
@given(text=gs.regex_metacharacters | gs.mongo_operators | gs.nonblank_text(12) | st.sampled_from(["ß", "SS", "а"]))
def test_search_text_is_literal_and_case_insensitive(store: SyncMongoConversationStore, text: str) -> None:
    owner = UserId.new()
    clock = TickingClock()
    conversations = [builders.conversation(clock, owner, description="d", contents=[c]) for c in CORPUS]
    store.add_many(conversations)
    needle = text.strip()
    pattern = re.compile(re.escape(needle), re.IGNORECASE)
    expected = [c.id for c in reversed(conversations) if pattern.search(c.messages[0].content) or pattern.search("d")]
    assert [hit.conversation.id for hit in store.search(owner, needle, limit=50)] == expected
