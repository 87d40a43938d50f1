"""B3: the 200th page of a user's conversations costs what the first one costs.

``MongoConversationStore.list`` pages by keyset on the (owner, updated_at, _id) index: a page after a
cursor is at most two index range reads, never a skip. The baseline is offset paging with the raw driver
(``skip`` = 199 pages), mapped to the same summaries, which reads and drops every earlier entry.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from bench import data
from bench.context import Context, progress
from bench.measure import Side, run_alternating
from bench.report import Row, at_most, fmt_bytes, fmt_seconds, row
from gaia_adapters.mongo.documents import summary_from_document
from gaia_domain.conversations import Conversation
from gaia_domain.ids import UserId

_INSERT_BATCH = 1_000


async def _populate(ctx: Context, store: Any, owner: UserId) -> None:
    """The owner's conversations interleaved in time with those of the other users (distinct activity times)."""
    sizes = ctx.sizes
    users = [owner] + [UserId.new() for _ in range(sizes.b3_users - 1)]
    counts = [sizes.b3_conversations] + [sizes.b3_other_conversations] * (sizes.b3_users - 1)
    pending: list[Conversation] = []
    for k in range(max(counts)):
        for u, user in enumerate(users):
            if k < counts[u]:
                at = data.EPOCH + timedelta(seconds=k * len(users) + u)
                pending.append(data.conversation(user, 2, at=at))
        if len(pending) >= _INSERT_BATCH:
            await store.add_many(pending)
            pending.clear()
    if pending:
        await store.add_many(pending)


async def run(ctx: Context) -> list[Row]:
    sizes = ctx.sizes
    page, deep, lists = sizes.b3_page, sizes.b3_deep_page, sizes.b3_lists
    first_label, deep_label = "page 1", f"page {deep}"
    async with ctx.mongo_store("b3") as mongo:
        store, owner = mongo.store, UserId.new()
        total = sizes.b3_conversations + sizes.b3_other_conversations * (sizes.b3_users - 1)
        progress(f"B3: {total:,} conversations of {sizes.b3_users} users, {sizes.b3_conversations:,} of one user")
        started = time.perf_counter()
        await _populate(ctx, store, owner)
        progress(f"B3: inserted in {time.perf_counter() - started:.1f} s")
        cursor: str | None = None
        for _ in range(deep - 1):  # the cursor a client holds after reading pages 1..deep-1
            cursor = (await store.list(owner, limit=page, cursor=cursor)).next_cursor
        assert cursor is not None
        expected = [s.id for s in (await store.list(owner, limit=page, cursor=cursor)).items]
        sort = [("updated_at", -1), ("_id", -1)]
        query = {"user_id": owner.value}

        async def first_page() -> None:
            for _ in range(lists):
                assert len((await store.list(owner, limit=page)).items) == page

        async def deep_page() -> None:
            for _ in range(lists):
                assert len((await store.list(owner, limit=page, cursor=cursor)).items) == page

        async def offset_page() -> None:
            for _ in range(lists):
                found = mongo.collection.find(query, {"messages": 0}, sort=sort, skip=(deep - 1) * page, limit=page)
                items = [summary_from_document(raw) for raw in await found.to_list(None)]
                assert [s.id for s in items] == expected

        a = Side(deep_label, deep_page, lists)
        b = Side(first_label, first_page, lists)
        c = Side(f"skip {(deep - 1) * page:,}", offset_page, lists)
        await run_alternating([a, b, c], sizes.repetitions)
    return [
        row(
            "B3",
            "list: client CPU/op",
            (deep_label, a.median("cpu")),
            (first_label, b.median("cpu")),
            fmt_seconds,
            at_most(1.5),
        ),
        row(
            "B3",
            "list: wall/op",
            (deep_label, a.median("wall")),
            (first_label, b.median("wall")),
            fmt_seconds,
            at_most(1.5),
        ),
        row(
            "B3",
            "list: bytes sent+recv/op",
            (deep_label, a.median("sent") + a.median("received")),
            (first_label, b.median("sent") + b.median("received")),
            fmt_bytes,
        ),
        row("B3", "keyset vs offset: CPU/op", (deep_label, a.median("cpu")), (c.name, c.median("cpu")), fmt_seconds),
        row("B3", "keyset vs offset: wall/op", (deep_label, a.median("wall")), (c.name, c.median("wall")), fmt_seconds),
    ]
