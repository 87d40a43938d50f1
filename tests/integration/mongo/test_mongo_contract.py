"""The shared ConversationStore contract on the MongoDB-wire server: PyMongo async, Motor and the sync store."""

from __future__ import annotations

import pytest

from gaia_adapters.mongo.conversation_store import MongoConversationStore
from gaia_domain.ports import ConversationStore
from gaia_domain.testing.contracts import ConversationStoreContract

pytestmark = pytest.mark.integration


class TestPyMongoAsyncConversationStore(ConversationStoreContract):
    @pytest.fixture
    def conversation_store(self, pymongo_conversation_store: MongoConversationStore) -> ConversationStore:
        return pymongo_conversation_store


class TestMotorConversationStore(ConversationStoreContract):
    @pytest.fixture
    def conversation_store(self, motor_conversation_store: MongoConversationStore) -> ConversationStore:
        return motor_conversation_store


class TestSyncConversationStore(ConversationStoreContract):
    """The synchronous store, each call in a worker thread (the contract suite is async)."""

    @pytest.fixture
    def conversation_store(self, sync_conversation_store: ConversationStore) -> ConversationStore:
        return sync_conversation_store
