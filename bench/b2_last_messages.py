"""B2: reading the last 50 messages costs the client the same at 10,000 messages as at 100.

``MongoConversationStore.get(last_messages=50)`` projects ``{"messages": {"$slice": -50}}``: the server
sends only the last 50, so the bytes received and the client's decoding and mapping do not grow with
the conversation. Also shown: loading the whole 10,000-message document, what a store without the
projection would do. As in B1, a side with the server holding the small read as long as the large one
takes separates the client's own CPU from the driver's CPU while waiting.
"""

from __future__ import annotations

from bench import data
from bench.context import Context, progress
from bench.measure import Side, matched_wait, run_alternating, warm
from bench.report import Row, at_most, fmt_bytes, fmt_seconds, row, within
from gaia_adapters.mongo.conversation_store import MongoConversationStore
from gaia_domain.conversations import Conversation
from gaia_domain.ids import UserId


def _reading(
    name: str, store: MongoConversationStore, owner: UserId, target: Conversation, count: int, last: int | None
) -> Side:
    async def batch() -> None:
        for _ in range(count):
            loaded = await store.get(owner, target.id, last_messages=last)
            assert len(loaded.messages) == min(last or target.message_count, target.message_count)

    return Side(name, batch, count)


async def run(ctx: Context) -> list[Row]:
    sizes = ctx.sizes
    last = sizes.b2_last
    large_label, small_label = f"{sizes.b2_large:,} msgs", f"{sizes.b2_small:,} msgs"
    async with ctx.mongo_store("b2") as mongo:
        owner = UserId.new()
        large = data.conversation(owner, sizes.b2_large)
        small = data.conversation(owner, sizes.b2_small)
        await mongo.store.add_many([large, small])
        progress(f"B2: last {last} messages of conversations of {large_label} and {small_label}")
        a = _reading(large_label, mongo.store, owner, large, sizes.b2_reads, last)
        b = _reading(small_label, mongo.store, owner, small, sizes.b2_reads, last)
        whole = _reading(f"whole {large_label}", mongo.store, owner, large, sizes.b2_whole_reads, None)
        await warm(a)
        await warm(b)
        async with ctx.delayed_store("b2", commands=["find"]) as delayed:
            c = matched_wait(
                _reading(f"{small_label}+wait", delayed.store, owner, small, sizes.b2_reads, last),
                delayed,
                slow=a,
                fast=b,
            )
            await warm(c)
            await warm(whole)
            await run_alternating([a, b, c, whole], sizes.repetitions, warmup=False)
    what = f"last {last}"
    return [
        row(
            "B2",
            f"{what}: client CPU/op",
            (large_label, a.median("cpu")),
            (c.name, c.median("cpu")),
            fmt_seconds,
            at_most(1.5),
        ),
        row(
            "B2",
            f"{what}: client CPU/op (raw)",
            (large_label, a.median("cpu")),
            (small_label, b.median("cpu")),
            fmt_seconds,
        ),
        row(
            "B2",
            f"{what}: bytes recv/op",
            (large_label, a.median("received")),
            (small_label, b.median("received")),
            fmt_bytes,
            within(0.10),
        ),
        row(
            "B2", f"{what}: bytes sent/op", (large_label, a.median("sent")), (small_label, b.median("sent")), fmt_bytes
        ),
        row("B2", f"{what}: wall/op", (large_label, a.median("wall")), (small_label, b.median("wall")), fmt_seconds),
        row(
            "B2",
            f"{what} vs whole doc: CPU/op",
            (large_label, a.median("cpu")),
            (whole.name, whole.median("cpu")),
            fmt_seconds,
        ),
        row(
            "B2",
            f"{what} vs whole doc: recv/op",
            (large_label, a.median("received")),
            (whole.name, whole.median("received")),
            fmt_bytes,
        ),
        row(
            "B2",
            f"{what} vs whole doc: wall/op",
            (large_label, a.median("wall")),
            (whole.name, whole.median("wall")),
            fmt_seconds,
        ),
    ]
