"""MongoConversationStore: the ConversationStore port on PyMongo's AsyncMongoClient or Motor.

The logic lives in :mod:`gaia_adapters.mongo.commands` (shared with the synchronous store); this module
only executes its commands on an async collection. The two async drivers differ in small ways (Motor's
``aggregate`` returns a cursor, PyMongo's is a coroutine); :func:`_execute` hides that.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from gaia_adapters.mongo import commands as c
from gaia_adapters.mongo.collections import CONVERSATIONS, CollectionRegistry
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


async def _execute(collection: Any, command: c.Command) -> Any:
    match command:
        case c.FindOne(filter=query, projection=projection):
            return await collection.find_one(query, projection)
        case c.Find(filter=query, projection=projection, sort=sort, limit=limit):
            return await collection.find(query, projection, sort=list(sort), limit=limit).to_list(None)
        case c.UpdateOne(filter=query, update=update, array_filters=array_filters):
            return (await collection.update_one(query, update, array_filters=array_filters)).matched_count
        case c.InsertOne(document=document):
            await collection.insert_one(document)
            return None
        case c.InsertMany(documents=documents):
            return len((await collection.insert_many(documents, ordered=False)).inserted_ids)
        case c.DeleteOne(filter=query):
            return (await collection.delete_one(query)).deleted_count
        case c.DeleteMany(filter=query):
            return (await collection.delete_many(query)).deleted_count
        case c.Pause(seconds=seconds):
            await asyncio.sleep(seconds)
            return None
        case c.Aggregate(pipeline=pipeline):
            cursor = collection.aggregate(pipeline)
            if inspect.isawaitable(cursor):  # PyMongo async: a coroutine; Motor: the cursor itself
                cursor = await cursor
            return await cursor.to_list(None)
    raise TypeError(f"unknown command {command!r}")


async def run(collection: Any, operation: c.Operation[T]) -> T:
    """Drive one operation to its result; driver errors go back into it, the unexpected ones are translated."""
    try:
        command = next(operation)
        while True:
            try:
                result = await _execute(collection, command)
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


class MongoConversationStore:
    """Conversations on MongoDB (async). Build with a registry over an ``AsyncMongoClient`` or Motor database."""

    def __init__(self, registry: CollectionRegistry) -> None:
        self._registry = registry

    @classmethod
    def for_database(cls, database: Any) -> MongoConversationStore:
        return cls(CollectionRegistry(database))

    async def _run(self, operation: c.Operation[T]) -> T:
        try:
            collection = await self._registry.get(CONVERSATIONS)
        except c.DRIVER_ERRORS as exc:
            operation.close()
            raise c.translate(exc) from exc
        return await run(collection, operation)

    async def add(self, conversation: Conversation) -> None:
        await self._run(c.add(conversation))

    async def add_many(self, conversations: Sequence[Conversation]) -> int:
        return await self._run(c.add_many(conversations))

    async def get(
        self, user_id: UserId, conversation_id: ConversationId, *, last_messages: int | None = None
    ) -> Conversation:
        return await self._run(c.get(user_id, conversation_id, last_messages=last_messages))

    async def list(
        self,
        user_id: UserId,
        *,
        starred: bool | None = None,
        source: Source | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
    ) -> Page[ConversationSummary]:
        return await self._run(c.list_summaries(user_id, starred=starred, source=source, limit=limit, cursor=cursor))

    async def append_messages(
        self, user_id: UserId, conversation_id: ConversationId, messages: Sequence[Message]
    ) -> None:
        await self._run(c.append_messages(user_id, conversation_id, messages))

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
        await self._run(
            c.update_message(user_id, conversation_id, message_id, content=content, pinned=pinned, edited_at=edited_at)
        )

    async def update_metadata(
        self,
        user_id: UserId,
        conversation_id: ConversationId,
        *,
        description: str | None = None,
        starred: bool | None = None,
        unread: bool | None = None,
    ) -> None:
        await self._run(
            c.update_metadata(user_id, conversation_id, description=description, starred=starred, unread=unread)
        )

    async def delete(self, user_id: UserId, conversation_id: ConversationId) -> None:
        await self._run(c.delete(user_id, conversation_id))

    async def delete_all_for_user(self, user_id: UserId) -> int:
        return await self._run(c.delete_all_for_user(user_id))

    async def messages_page(
        self,
        user_id: UserId,
        conversation_id: ConversationId,
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
    ) -> Page[Message]:
        return await self._run(c.messages_page(user_id, conversation_id, limit=limit, cursor=cursor))

    async def pinned_messages(self, user_id: UserId, *, limit: int = 50) -> Sequence[PinnedMessage]:
        return await self._run(c.pinned_messages(user_id, limit=limit))

    async def search(self, user_id: UserId, text: str, *, limit: int = DEFAULT_PAGE_SIZE) -> Sequence[SearchHit]:
        return await self._run(c.search(user_id, text, limit=limit))

    async def stats(self, user_id: UserId) -> ConversationStats:
        return await self._run(c.stats(user_id))
