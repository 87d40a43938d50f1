"""B6: the same MongoDB workload on PyMongo's native async client (the default) and on Motor.

Both sides run ``MongoConversationStore`` over a client of their driver, on the same database and data,
each on a conversation of its own of the same size. One round = append a message, read the last 20
messages, list the first page of 20 conversations, read the newest page of 20 messages.
Motor runs PyMongo's synchronous client in a thread pool; its threads' CPU is this process's CPU too.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from bench import data
from bench.context import Context, progress
from bench.measure import Side, run_alternating
from bench.report import Row, below, fmt_bytes, fmt_seconds, row
from gaia_adapters.mongo.client import close_client, open_client
from gaia_adapters.mongo.collections import CollectionRegistry
from gaia_adapters.mongo.conversation_store import MongoConversationStore
from gaia_domain.conversations import Conversation, Message
from gaia_domain.ids import UserId

_CONVERSATIONS = 20
_MESSAGES = 40
_PAGE = 20


def _workload(name: str, store: MongoConversationStore, owner: UserId, target: Conversation, rounds: int) -> Side:
    pending: list[Message] = []

    async def prepare() -> None:
        pending[:] = data.new_messages(rounds, data.EPOCH + timedelta(days=1))

    async def batch() -> None:
        for message in pending:
            await store.append_messages(owner, target.id, [message])
            await store.get(owner, target.id, last_messages=_PAGE)
            await store.list(owner, limit=_PAGE)
            await store.messages_page(owner, target.id, limit=_PAGE)

    return Side(name, batch, rounds, setup=prepare)


async def run(ctx: Context) -> list[Row]:
    rounds = ctx.sizes.b6_rounds
    async with ctx.mongo_store("b6") as mongo, contextlib.AsyncExitStack() as stack:
        owner = UserId.new()
        conversations = [data.conversation(owner, _MESSAGES) for _ in range(_CONVERSATIONS)]
        await mongo.store.add_many(conversations)
        progress(f"B6: {rounds} rounds (append, last {_PAGE}, list, messages page) per batch, PyMongo async vs Motor")
        motor_settings = ctx.mongo_settings("b6", driver="motor")
        motor_client = await open_client(motor_settings)
        stack.push_async_callback(close_client, motor_client)
        motor_store = MongoConversationStore(CollectionRegistry(motor_client[motor_settings.mongo_database]))
        a = _workload("PyMongo async", mongo.store, owner, conversations[0], rounds)
        b = _workload("Motor", motor_store, owner, conversations[1], rounds)
        await run_alternating([a, b], ctx.sizes.repetitions)
    return [
        row(
            "B6",
            "workload round: client CPU",
            (a.name, a.median("cpu")),
            (b.name, b.median("cpu")),
            fmt_seconds,
            below(1.0),
        ),
        row("B6", "workload round: wall", (a.name, a.median("wall")), (b.name, b.median("wall")), fmt_seconds),
        row("B6", "workload round: bytes sent", (a.name, a.median("sent")), (b.name, b.median("sent")), fmt_bytes),
        row(
            "B6",
            "workload round: bytes recv",
            (a.name, a.median("received")),
            (b.name, b.median("received")),
            fmt_bytes,
        ),
    ]
