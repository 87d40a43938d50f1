"""B1: appending one message costs the client the same at 10,000 messages as at 10.

Framework on both sides (``MongoConversationStore.append_messages``): a ``$push`` guarded by the message
ids, never a read of the conversation, so the client's CPU and the bytes on the wire must not grow with
the conversation. The server's time does grow (SecantusDB rewrites the document); that is wall time.

While it waits for the server, PyMongo's async client still wakes up every 0.5 s (its monitors and the
per-operation cancellation poller), which costs CPU in proportion to the server's time, whatever the
operation. A third side therefore appends to the small conversation with the server holding each
command as long as the large append takes (``Context.delayed_store``): same wait, small document.
"""

from __future__ import annotations

from datetime import timedelta

from bench import data
from bench.context import Context, progress
from bench.measure import Side, matched_wait, run_alternating, warm
from bench.report import Row, at_most, equal, fmt_bytes, fmt_seconds, row
from gaia_adapters.mongo.conversation_store import MongoConversationStore
from gaia_domain.conversations import Conversation, Message
from gaia_domain.ids import UserId


def _appending(name: str, store: MongoConversationStore, owner: UserId, target: Conversation, count: int) -> Side:
    pending: list[Message] = []

    async def prepare() -> None:  # new messages are the caller's work, not the append's
        pending[:] = data.new_messages(count, data.EPOCH + timedelta(days=1))

    async def batch() -> None:
        for message in pending:
            await store.append_messages(owner, target.id, [message])

    return Side(name, batch, count, setup=prepare)


async def run(ctx: Context) -> list[Row]:
    sizes = ctx.sizes
    large_label, small_label = f"{sizes.b1_large:,} msgs", f"{sizes.b1_small:,} msgs"
    async with ctx.mongo_store("b1") as mongo:
        owner = UserId.new()
        large = data.conversation(owner, sizes.b1_large)
        small = data.conversation(owner, sizes.b1_small)
        await mongo.store.add_many([large, small])
        progress(f"B1: appending to conversations of {large_label} and {small_label}")
        a = _appending(large_label, mongo.store, owner, large, sizes.b1_appends)
        b = _appending(small_label, mongo.store, owner, small, sizes.b1_appends)
        await warm(a)
        await warm(b)
        async with ctx.delayed_store("b1", commands=["update"]) as delayed:
            c = matched_wait(
                _appending(f"{small_label}+wait", delayed.store, owner, small, sizes.b1_appends),
                delayed,
                slow=a,
                fast=b,
            )
            await warm(c)
            await run_alternating([a, b, c], sizes.repetitions, warmup=False)
    return [
        row(
            "B1",
            "append: client CPU/op",
            (large_label, a.median("cpu")),
            (c.name, c.median("cpu")),
            fmt_seconds,
            at_most(1.3),
        ),
        row(
            "B1",
            "append: client CPU/op (raw)",
            (large_label, a.median("cpu")),
            (small_label, b.median("cpu")),
            fmt_seconds,
        ),
        row(
            "B1",
            "append: bytes sent/op",
            (large_label, a.median("sent")),
            (small_label, b.median("sent")),
            fmt_bytes,
            equal(),
        ),
        row(
            "B1",
            "append: bytes recv/op",
            (large_label, a.median("received")),
            (small_label, b.median("received")),
            fmt_bytes,
            equal(),
        ),
        row("B1", "append: wall/op", (large_label, a.median("wall")), (small_label, b.median("wall")), fmt_seconds),
        row(
            "B1", "append: wall/op (matched)", (large_label, a.median("wall")), (c.name, c.median("wall")), fmt_seconds
        ),
    ]
