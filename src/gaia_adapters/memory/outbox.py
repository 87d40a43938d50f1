"""The Outbox port in memory: events join the transaction and are stored only if it commits."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gaia_adapters.memory.transaction import Transaction, outbox_record
from gaia_domain.events import Event


class MemoryOutbox:
    def __init__(self, transaction: Callable[[], Transaction]) -> None:
        self._tx = transaction

    async def add(self, events: Sequence[Event]) -> None:
        tx = self._tx()
        records = [outbox_record(event, tx.db) for event in events]  # encodes (checks) all first: a bad one adds none
        tx.outbox.extend(records)
