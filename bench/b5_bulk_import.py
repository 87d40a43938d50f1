"""B5: importing 100,000 messages through the framework's bulk path vs the raw driver's ``insert_many``.

Framework: ``ConversationService.import_conversations`` (``MongoConversationStore.add_many``: domain
conversations mapped to documents, one unordered ``insert_many`` per batch). Baseline: the driver's
``insert_many(ordered=False)`` of the very same documents, already built. Both write the same batches into
an identical fresh collection (validator and indexes) in a database of their own per repetition.
Throughput = messages per second of client CPU (the goal) and per second of wall time (reported).
"""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

from bench import data
from bench.context import Context, progress
from bench.measure import Side, run_alternating
from bench.report import Row, at_least, fmt_bytes, fmt_rate, row
from gaia_adapters.memory import MemoryDatabase, MemoryUnitOfWork
from gaia_adapters.mongo.collections import CONVERSATIONS, CollectionRegistry
from gaia_adapters.mongo.conversation_store import MongoConversationStore
from gaia_adapters.mongo.documents import conversation_to_document
from gaia_domain.clock import SystemClock
from gaia_domain.conversations import Conversation
from gaia_domain.ids import UserId
from gaia_domain.services import ConversationService


def _batches(items: list[Any], size: int) -> list[list[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


async def run(ctx: Context) -> list[Row]:
    sizes = ctx.sizes
    per = sizes.b5_messages_per_conversation
    owner = UserId.new()
    conversations: list[Conversation] = [
        data.conversation(owner, per, at=data.EPOCH + timedelta(minutes=k)) for k in range(sizes.b5_messages // per)
    ]
    messages = len(conversations) * per
    documents = [conversation_to_document(c) for c in conversations]
    conversation_batches, document_batches = (
        _batches(conversations, sizes.b5_batch),
        _batches(documents, sizes.b5_batch),
    )
    progress(f"B5: {messages:,} messages in {len(conversations):,} conversations, {sizes.b5_batch} per insert_many")
    clock = SystemClock()
    uow_factory = functools.partial(MemoryUnitOfWork, MemoryDatabase(clock=clock))
    async with ctx.mongo_store("b5") as mongo:
        client, fresh = mongo.client, iter(range(10**6))
        targets: dict[str, Any] = {}

        async def new_database(side: str) -> None:
            """Every batch writes into a new, empty collection made by the registry (same validator and indexes)."""
            old = targets.get(side)
            if old is not None:
                await client.drop_database(old.database.name)
            registry = CollectionRegistry(client[f"{mongo.database.name}_{side}{next(fresh)}"])
            await registry.get(CONVERSATIONS)
            targets[side] = registry

        async def framework() -> None:
            service = ConversationService(MongoConversationStore(targets["framework"]), uow_factory, clock)
            inserted = 0
            for batch in conversation_batches:
                inserted += await service.import_conversations(batch)
            assert inserted == len(conversations)

        async def raw() -> None:
            collection = await targets["raw"].get(CONVERSATIONS)
            inserted = 0
            for batch in document_batches:
                inserted += len((await collection.insert_many(batch, ordered=False)).inserted_ids)
            assert inserted == len(documents)

        a = Side("framework", framework, messages, setup=functools.partial(new_database, "framework"))
        b = Side("insert_many", raw, messages, setup=functools.partial(new_database, "raw"))
        await run_alternating([a, b], sizes.b5_repetitions, warmup=False)
        for registry in targets.values():
            await client.drop_database(registry.database.name)
    return [
        row(
            "B5",
            "import: msgs per CPU-second",
            (a.name, 1 / a.median("cpu")),
            (b.name, 1 / b.median("cpu")),
            fmt_rate,
            at_least(0.8),
        ),
        row(
            "B5",
            "import: msgs per wall-second",
            (a.name, 1 / a.median("wall")),
            (b.name, 1 / b.median("wall")),
            fmt_rate,
        ),
        row("B5", "import: bytes sent per msg", (a.name, a.median("sent")), (b.name, b.median("sent")), fmt_bytes),
    ]
