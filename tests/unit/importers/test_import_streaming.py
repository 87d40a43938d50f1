"""Streaming: memory stays flat as the file grows; synthetic exports import with their known counts."""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

import pytest
from import_helpers import memory_app

from gaia_adapters.importers import ImportOptions, import_export
from gaia_adapters.importers.synthetic import write_chatgpt_export
from gaia_adapters.memory import MemoryConversationStore, MemoryDatabase, MemoryUnitOfWork
from gaia_domain.clock import TickingClock
from gaia_domain.conversations import Conversation
from gaia_domain.ids import UserId
from gaia_domain.services import ConversationService


class _DiscardingStore(MemoryConversationStore):
    """Accepts every batch and keeps nothing, so that only the importer's own memory is measured."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[tuple[int, int]] = []  # (conversations, messages) of each add_many

    async def add_many(self, conversations: Sequence[Conversation]) -> int:
        self.batches.append((len(conversations), sum(len(c.messages) for c in conversations)))
        return len(conversations)


def _service(store: _DiscardingStore, clock: TickingClock) -> ConversationService:
    database = MemoryDatabase(clock=clock)
    return ConversationService(store, lambda: MemoryUnitOfWork(database), clock)


async def test_synthetic_export_imports_with_its_known_counts_then_unchanged(tmp_path: Path) -> None:
    export = write_chatgpt_export(tmp_path / "synthetic.json", conversations=40, seed=7)
    async with memory_app() as app:
        first = await app.run(export.path, batch_conversations=7)
        second = await app.run(export.path)
    assert (first.read, first.imported, first.messages_imported, first.exit_code) == (
        40,
        40,
        export.visible_messages,
        0,
    )
    assert (second.imported, second.unchanged) == (0, 40)


async def _peak_bytes(path: Path) -> int:
    clock = TickingClock()
    service = _service(_DiscardingStore(), clock)
    tracemalloc.start()
    try:
        report = await import_export(
            path,
            user_id=UserId.new(),
            conversations=service,
            clock=clock,
            options=ImportOptions(batch_conversations=10),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.exit_code == 0
    return peak


async def test_peak_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    small = write_chatgpt_export(tmp_path / "small.json", target_bytes=500_000, seed=1)
    large = write_chatgpt_export(tmp_path / "large.json", target_bytes=2_000_000, seed=2)
    small_peak, large_peak = await _peak_bytes(small.path), await _peak_bytes(large.path)
    # 4x the file, about the same peak: one conversation and one batch of ten at a time.
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)
    assert large_peak < 10_000_000, large_peak


@pytest.mark.parametrize(
    ("options", "expected_batches"),
    [
        (ImportOptions(batch_conversations=4), [4, 4, 2]),
        (ImportOptions(batch_messages=1), [1] * 10),
        (ImportOptions(batch_bytes=1), [1] * 10),
        (ImportOptions(), [10]),
    ],
)
async def test_a_batch_is_written_when_any_limit_is_reached(
    tmp_path: Path, options: ImportOptions, expected_batches: list[int]
) -> None:
    export = write_chatgpt_export(tmp_path / "ten.json", conversations=10, seed=3)
    clock, store = TickingClock(), _DiscardingStore()
    report = await import_export(
        export.path,
        user_id=UserId.new(),
        conversations=_service(store, clock),
        clock=clock,
        options=options,
    )
    assert [conversations for conversations, _ in store.batches] == expected_batches
    assert sum(messages for _, messages in store.batches) == report.messages_imported == export.visible_messages


async def test_the_event_loop_keeps_running_while_a_large_file_is_read(tmp_path: Path) -> None:
    """Reading and building run in a worker thread: other tasks (a server's requests) keep being served."""
    export = write_chatgpt_export(tmp_path / "busy.json", target_bytes=3_000_000, seed=4)
    clock, store = TickingClock(), _DiscardingStore()
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.002)

    task = asyncio.create_task(ticker())
    started = time.perf_counter()
    report = await import_export(
        export.path, user_id=UserId.new(), conversations=_service(store, clock), clock=clock
    )  # one batch of 200 conversations: without the thread, the loop would wait for all of it
    elapsed = time.perf_counter() - started
    stop.set()
    await task
    assert report.imported == export.conversations
    assert ticks >= min(10, elapsed / 0.002 / 4), (ticks, elapsed)
