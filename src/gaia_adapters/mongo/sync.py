"""SyncMongoConversationStore: the same ConversationStore contract for synchronous callers (PyMongo MongoClient).

It runs exactly the operations of :mod:`gaia_adapters.mongo.commands` that the async store runs, so the
two cannot drift apart; only the execution of each command differs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from gaia_adapters.mongo import commands as c
from gaia_adapters.mongo.collections import CONVERSATIONS, SyncCollectionRegistry
from gaia_domain.conversations import (
    Conversation,
    ConversationStats,
    ConversationSummary,
    Message,
    PinnedMessage,
    SearchHit,
    Source,
)
from gaia_domain.ids import ConversationId, MessageId, UserId
from gaia_domain.pagination import DEFAULT_PAGE_SIZE, Page

T = TypeVar("T")


def _execute(collection: Any, command: c.Command) -> Any:
    match command:
        case c.FindOne(filter=query, projection=projection):
            return collection.find_one(query, projection)
        case c.Find(filter=query, projection=projection, sort=sort, limit=limit):
            return collection.find(query, projection, sort=list(sort), limit=limit).to_list(None)
        case c.UpdateOne(filter=query, update=update, array_filters=array_filters):
            return collection.update_one(query, update, array_filters=array_filters).matched_count
        case c.InsertOne(document=document):
            collection.insert_one(document)
            return None
        case c.InsertMany(documents=documents):
            return len(collection.insert_many(documents, ordered=False).inserted_ids)
        case c.DeleteOne(filter=query):
            return collection.delete_one(query).deleted_count
        case c.DeleteMany(filter=query):
            return collection.delete_many(query).deleted_count
        case c.Pause(seconds=seconds):
            time.sleep(seconds)
            return None
        case c.Aggregate(pipeline=pipeline):
            return collection.aggregate(pipeline).to_list(None)
    raise TypeError(f"unknown command {command!r}")


def run(collection: Any, operation: c.Operation[T]) -> T:
    try:
        command = next(operation)
        while True:
            try:
                result = _execute(collection, command)
            except c.DRIVER_ERRORS as exc:
                try:
                    command = operation.throw(exc)
                except c.DRIVER_ERRORS as unexpected:
                    raise c.translate(unexpected) from unexpected
            else:
                command = operation.send(result)
    except StopIteration as done:
        value: T = done.value
        return value
    finally:
        operation.close()


class SyncMongoConversationStore:
    """Conversations on MongoDB through the synchronous PyMongo client (thread-safe like the client)."""

    def __init__(self, registry: SyncCollectionRegistry) -> None:
        self._registry = registry

    @classmethod
    def for_database(cls, database: Any) -> SyncMongoConversationStore:
        return cls(SyncCollectionRegistry(database))

    def _run(self, operation: c.Operation[T]) -> T:
        try:
            collection = self._registry.get(CONVERSATIONS)
        except c.DRIVER_ERRORS as exc:
            operation.close()
            raise c.translate(exc) from exc
        return run(collection, operation)

    def add(self, conversation: Conversation) -> None:
        self._run(c.add(conversation))

    def add_many(self, conversations: Sequence[Conversation]) -> int:
        return self._run(c.add_many(conversations))

    def get(
        self, user_id: UserId, conversation_id: ConversationId, *, last_messages: int | None = None
    ) -> Conversation:
        return self._run(c.get(user_id, conversation_id, last_messages=last_messages))

    def list(
        self,
        user_id: UserId,
        *,
        starred: bool | None = None,
        source: Source | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
    ) -> Page[ConversationSummary]:
        return self._run(c.list_summaries(user_id, starred=starred, source=source, limit=limit, cursor=cursor))

    def append_messages(self, user_id: UserId, conversation_id: ConversationId, messages: Sequence[Message]) -> None:
        self._run(c.append_messages(user_id, conversation_id, messages))

    def update_message(
        self,
        user_id: UserId,
        conversation_id: ConversationId,
        message_id: MessageId,
        *,
        content: str | None = None,
        pinned: bool | None = None,
        edited_at: datetime | None = None,
    ) -> None:
        self._run(
            c.update_message(user_id, conversation_id, message_id, content=content, pinned=pinned, edited_at=edited_at)
        )

    def update_metadata(
        self,
        user_id: UserId,
        conversation_id: ConversationId,
        *,
        description: str | None = None,
        starred: bool | None = None,
        unread: bool | None = None,
    ) -> None:
        self._run(c.update_metadata(user_id, conversation_id, description=description, starred=starred, unread=unread))

    def delete(self, user_id: UserId, conversation_id: ConversationId) -> None:
        self._run(c.delete(user_id, conversation_id))

    def delete_all_for_user(self, user_id: UserId) -> int:
        return self._run(c.delete_all_for_user(user_id))

    def messages_page(
        self,
        user_id: UserId,
        conversation_id: ConversationId,
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
    ) -> Page[Message]:
        return self._run(c.messages_page(user_id, conversation_id, limit=limit, cursor=cursor))

    def pinned_messages(self, user_id: UserId, *, limit: int = 50) -> Sequence[PinnedMessage]:
        return self._run(c.pinned_messages(user_id, limit=limit))

    def search(self, user_id: UserId, text: str, *, limit: int = DEFAULT_PAGE_SIZE) -> Sequence[SearchHit]:
        return self._run(c.search(user_id, text, limit=limit))

    def stats(self, user_id: UserId) -> ConversationStats:
        return self._run(c.stats(user_id))
