"""Streaming: memory stays flat as the file grows; synthetic exports import with their known counts."""

from __future__ import annotations

import tracemalloc
from collections.abc import Sequence
from pathlib import Path

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

    async def add_many(self, conversations: Sequence[Conversation]) -> int:
        return len(conversations)


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
    database = MemoryDatabase(clock=clock)
    service = ConversationService(_DiscardingStore(), lambda: MemoryUnitOfWork(database), clock)
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
