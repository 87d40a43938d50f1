"""The relay's side of the in-memory outbox: the twin of ``gaia_adapters.postgres.outbox_relay``.

Same contract (``gaia_adapters.relay.store.OutboxRelayStore``): leases, fencing by attempt number, backoff
times, parking as dead, re-queueing. Time is the database's clock. Each method runs without an ``await``
in between its reads and writes, so claims are atomic like the SQL statements (no two claimers get the
same event: the ``SKIP LOCKED`` of a single-threaded store).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from gaia_adapters.memory.database import MemoryDatabase, OutboxRecord
from gaia_adapters.relay.store import (
    ABANDONED,
    Backlog,
    ClaimBatch,
    ClaimedEvent,
    DeadEvent,
    FailureOutcome,
    clip_error,
)
from gaia_domain.ids import EventId


class MemoryOutboxRelayStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    def _now(self) -> datetime:
        return self._db.clock.now()

    @staticmethod
    def _due(record: OutboxRecord, now: datetime) -> bool:
        return record.status == "pending" and (record.available_at is None or record.available_at <= now)

    @staticmethod
    def _due_order(record: OutboxRecord) -> datetime:
        return record.available_at or record.created_at

    def _lease(self, record: OutboxRecord, now: datetime, lease_seconds: float) -> ClaimedEvent:
        record.attempts += 1
        record.available_at = now + timedelta(seconds=lease_seconds)
        return ClaimedEvent(record.event_id, record.type_name, dict(record.payload), record.attempts)

    async def claim_due(self, limit: int, *, lease_seconds: float, max_attempts: int) -> ClaimBatch:
        now = self._now()
        # Stable sort: equal times keep insertion order (the PostgreSQL table orders by available_at, seq).
        due = sorted((r for r in self._db.outbox if self._due(r, now)), key=self._due_order)[:limit]
        claimed: list[ClaimedEvent] = []
        parked: list[EventId] = []
        for record in due:
            if record.attempts >= max_attempts:
                record.status, record.last_error = "dead", ABANDONED
                parked.append(record.event_id)
            else:
                claimed.append(self._lease(record, now, lease_seconds))
        return ClaimBatch(claimed, parked)

    async def claim_events(self, event_ids: Sequence[EventId], *, lease_seconds: float) -> Sequence[ClaimedEvent]:
        now = self._now()
        wanted = set(event_ids)
        return [
            self._lease(r, now, lease_seconds) for r in self._db.outbox if r.event_id in wanted and self._due(r, now)
        ]

    async def mark_done(self, event_ids: Sequence[EventId]) -> int:
        now = self._now()
        wanted = set(event_ids)
        changed = 0
        for record in self._db.outbox:
            if record.event_id in wanted and record.status == "pending":
                record.status, record.dispatched_at = "dispatched", now
                changed += 1
        return changed

    async def record_failure(self, claim: ClaimedEvent, error: str, *, retry_in: float | None) -> FailureOutcome:
        record = self._find(claim.event_id)
        if record is None or record.status != "pending" or record.attempts != claim.attempt:
            return FailureOutcome.LOST
        record.last_error = clip_error(error)
        if retry_in is None:
            record.status = "dead"
            return FailureOutcome.DEAD
        record.available_at = self._now() + timedelta(seconds=retry_in)
        return FailureOutcome.RETRY

    async def list_dead(self, limit: int = 50) -> Sequence[DeadEvent]:
        dead = [r for r in self._db.outbox if r.status == "dead"][:limit]
        return [
            DeadEvent(r.event_id, r.type_name, r.attempts, r.last_error, r.created_at, dict(r.payload)) for r in dead
        ]

    async def retry_dead(self, event_ids: Sequence[EventId] | None = None) -> int:
        now = self._now()
        wanted = set(event_ids) if event_ids is not None else None
        count = 0
        for record in self._db.outbox:
            if record.status == "dead" and (wanted is None or record.event_id in wanted):
                record.status, record.attempts, record.available_at = "pending", 0, now
                count += 1
        return count

    async def backlog(self) -> Backlog:
        now = self._now()
        pending = [r for r in self._db.outbox if r.status == "pending"]
        due = [r for r in pending if self._due(r, now)]
        later = [r.available_at for r in pending if r.available_at is not None and r.available_at > now]
        oldest = min((self._due_order(r) for r in due), default=None)
        return Backlog(
            pending=len(pending),
            due=len(due),
            dead=sum(r.status == "dead" for r in self._db.outbox),
            next_due_in=(min(later) - now).total_seconds() if later else None,
            oldest_due_age=(now - oldest).total_seconds() if oldest is not None else None,
        )

    async def purge_dispatched(self, older_than_seconds: float) -> int:
        cutoff = self._now() - timedelta(seconds=older_than_seconds)
        kept = [
            r
            for r in self._db.outbox
            if not (r.status == "dispatched" and r.dispatched_at and r.dispatched_at < cutoff)
        ]
        purged = len(self._db.outbox) - len(kept)
        self._db.outbox[:] = kept
        return purged

    def _find(self, event_id: EventId) -> OutboxRecord | None:
        return next((r for r in self._db.outbox if r.event_id == event_id), None)
