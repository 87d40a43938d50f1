"""B5: importing 100,000 messages through the framework's bulk path vs the raw driver's ``insert_many``.

Framework: ``ConversationService.import_conversations`` (``MongoConversationStore.add_many``: domain
conversations mapped to documents, one unordered ``insert_many`` per chunk). Baseline: the driver's
``insert_many(ordered=False)`` of the same documents, already built. Both write the same chunks into an
identical fresh collection (validator and indexes) in a database of their own per repetition.

Each chunk's input is built just before it is written and that building is not timed (``untimed``), as
in a streaming import where the parser hands over fresh objects: the framework gets its conversations,
the baseline their documents. (Built all at once up front, 100,000 messages lie cold in a heap fragmented
by the earlier pairs, and the side that touches more objects per message pays cache misses a streaming
import does not have.)
Throughput = messages per second of client CPU (the goal) and per second of wall time (reported).
"""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

from bench import data
from bench.context import Context, progress
from bench.measure import Side, run_alternating, untimed
from bench.report import Row, at_least, fmt_bytes, fmt_rate, row
from gaia_adapters.memory import MemoryDatabase, MemoryUnitOfWork
from gaia_adapters.mongo.collections import CONVERSATIONS, CollectionRegistry
from gaia_adapters.mongo.conversation_store import MongoConversationStore
from gaia_adapters.mongo.documents import conversation_to_document
from gaia_domain.clock import SystemClock
from gaia_domain.conversations import Conversation
from gaia_domain.ids import UserId
from gaia_domain.services import ConversationService


async def run(ctx: Context) -> list[Row]:
    sizes = ctx.sizes
    per = sizes.b5_messages_per_conversation
    owner = UserId.new()
    count = sizes.b5_messages // per
    messages = count * per
    chunks = [range(start, min(start + sizes.b5_batch, count)) for start in range(0, count, sizes.b5_batch)]

    def conversations(chunk: range) -> list[Conversation]:
        return [data.conversation(owner, per, at=data.EPOCH + timedelta(minutes=k)) for k in chunk]

    progress(f"B5: {messages:,} messages in {count:,} conversations, {sizes.b5_batch} per insert_many")
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
            for chunk in chunks:
                with untimed():
                    built = conversations(chunk)
                inserted += await service.import_conversations(built)
            assert inserted == count

        async def raw() -> None:
            collection = await targets["raw"].get(CONVERSATIONS)
            inserted = 0
            for chunk in chunks:
                with untimed():
                    documents = [conversation_to_document(c) for c in conversations(chunk)]
                inserted += len((await collection.insert_many(documents, ordered=False)).inserted_ids)
            assert inserted == count

        a = Side("framework", framework, messages, setup=functools.partial(new_database, "framework"))
        b = Side("insert_many", raw, messages, setup=functools.partial(new_database, "raw"))
        await run_alternating([a, b], sizes.b5_repetitions, warmup=False)
        for side in (a, b):  # the spread behind the medians (stderr)
            rates = ", ".join(f"{1 / sample.cpu:,.0f}" for sample in side.samples)
            progress(f"B5 {side.name}: msgs per CPU-second by repetition: {rates}")
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
