"""The relay's SQL on the ``outbox`` table (the other half of ``outbox.py``, which writes events at commit).

Every method is one autocommit statement on a pooled connection: a claim holds its rows' locks only for
the statement itself and then keeps them by lease (``available_at`` moved forward, ``attempts`` counted),
so no transaction stays open while handlers talk to MongoDB, and a relay that dies holds nothing but a
lease that runs out. Two claimers at the same instant take disjoint rows: ``FOR UPDATE SKIP LOCKED``
skips rows another claim is locking, and a row whose claim just committed fails the re-checked
``available_at <= now()``. See ``gaia_adapters.relay.store`` for the contract.

Times are the server's ``now()``, so relays on machines with skewed clocks agree on what is due.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from gaia_adapters.postgres import errors
from gaia_adapters.postgres.driver import DriverConnection, affected
from gaia_adapters.postgres.lifecycle import ensure_open
from gaia_adapters.postgres.rows import plain_uuid
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

# Oldest due first (the partial index ix_outbox_pending_available_at_seq serves the inner SELECT).
# Every SET expression reads the row as it was before the update.
CLAIM_DUE = """
WITH due AS (
    SELECT event_id FROM outbox
    WHERE status = 'pending' AND available_at <= now()
    ORDER BY available_at, seq
    LIMIT $1
    FOR UPDATE SKIP LOCKED
)
UPDATE outbox AS o
SET attempts = CASE WHEN o.attempts >= $3 THEN o.attempts ELSE o.attempts + 1 END,
    status = CASE WHEN o.attempts >= $3 THEN 'dead' ELSE 'pending' END,
    last_error = CASE WHEN o.attempts >= $3 THEN $4 ELSE o.last_error END,
    available_at = CASE WHEN o.attempts >= $3 THEN o.available_at ELSE now() + make_interval(secs => $2::float8) END
FROM due
WHERE o.event_id = due.event_id
RETURNING o.event_id, o.event_type, o.payload, o.attempts, o.status, o.seq
"""

CLAIM_EVENTS = """
WITH due AS (
    SELECT event_id FROM outbox
    WHERE event_id = ANY($1::uuid[]) AND status = 'pending' AND available_at <= now()
    FOR UPDATE SKIP LOCKED
)
UPDATE outbox AS o
SET attempts = o.attempts + 1, available_at = now() + make_interval(secs => $2::float8)
FROM due
WHERE o.event_id = due.event_id
RETURNING o.event_id, o.event_type, o.payload, o.attempts, o.seq
"""

MARK_DONE = """
UPDATE outbox SET status = 'dispatched', dispatched_at = now()
WHERE event_id = ANY($1::uuid[]) AND status = 'pending'
"""

# Only the holder of the latest lease (attempts = its attempt number) may reschedule or park the event.
RECORD_FAILURE = """
UPDATE outbox
SET last_error = $3,
    status = CASE WHEN $4::float8 IS NULL THEN 'dead' ELSE 'pending' END,
    available_at = CASE WHEN $4::float8 IS NULL THEN available_at ELSE now() + make_interval(secs => $4::float8) END
WHERE event_id = $1 AND status = 'pending' AND attempts = $2
RETURNING status
"""

LIST_DEAD = """
SELECT event_id, event_type, attempts, last_error, created_at, payload
FROM outbox WHERE status = 'dead' ORDER BY seq LIMIT $1
"""

RETRY_DEAD = """
UPDATE outbox SET status = 'pending', attempts = 0, available_at = now()
WHERE status = 'dead' AND ($1::uuid[] IS NULL OR event_id = ANY($1::uuid[]))
"""

# History only: a dispatched row is never read again by the relay. (No index on dispatched_at: run it rarely.)
PURGE_DISPATCHED = """
DELETE FROM outbox WHERE status = 'dispatched' AND dispatched_at < now() - make_interval(secs => $1::float8)
"""

BACKLOG = """
SELECT count(*) FILTER (WHERE status = 'pending'),
       count(*) FILTER (WHERE status = 'pending' AND available_at <= now()),
       count(*) FILTER (WHERE status = 'dead'),
       extract(epoch FROM min(available_at) FILTER (WHERE status = 'pending' AND available_at > now()) - now()),
       extract(epoch FROM now() - min(available_at) FILTER (WHERE status = 'pending' AND available_at <= now()))
FROM outbox WHERE status IN ('pending', 'dead')
"""


def _payload(raw: Any) -> dict[str, Any]:
    """jsonb arrives decoded through SQLAlchemy's asyncpg codec; a plain asyncpg connection gives text."""
    value = json.loads(raw) if isinstance(raw, str | bytes) else raw
    if not isinstance(value, dict):
        raise TypeError(f"outbox payload must be a JSON object, got {type(value).__name__}")
    return value


def _event_id(raw: uuid.UUID) -> EventId:
    return EventId(plain_uuid(raw))


def _seconds(raw: Any) -> float | None:
    return float(raw) if raw is not None else None


class PostgresOutboxRelayStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def _connection(self, what: str) -> AsyncIterator[DriverConnection]:
        ensure_open(self._engine)
        try:
            pooled = await self._engine.raw_connection()
        except Exception as exc:
            raise errors.unavailable(exc) from exc
        try:
            conn: DriverConnection = pooled.driver_connection  # type: ignore[assignment]
            try:
                yield conn
            except Exception as exc:
                raise errors.translate(exc, "outbox", what) from exc
            except BaseException:
                pooled.invalidate()  # cancelled mid-statement: never hand this connection to someone else
                raise
        finally:
            await greenlet_spawn(pooled.close)

    async def claim_due(self, limit: int, *, lease_seconds: float, max_attempts: int) -> ClaimBatch:
        async with self._connection("claim") as conn:
            rows = await conn.fetch(CLAIM_DUE, limit, lease_seconds, max_attempts, ABANDONED)
        rows = sorted(rows, key=lambda row: row[5])  # RETURNING has no order; deliver in outbox order
        claimed = [
            ClaimedEvent(_event_id(row[0]), row[1], _payload(row[2]), row[3]) for row in rows if row[4] == "pending"
        ]
        parked = [_event_id(row[0]) for row in rows if row[4] == "dead"]
        return ClaimBatch(claimed, parked)

    async def claim_events(self, event_ids: Sequence[EventId], *, lease_seconds: float) -> Sequence[ClaimedEvent]:
        async with self._connection("claim") as conn:
            rows = await conn.fetch(CLAIM_EVENTS, [e.value for e in event_ids], lease_seconds)
        rows = sorted(rows, key=lambda row: row[4])
        return [ClaimedEvent(_event_id(row[0]), row[1], _payload(row[2]), row[3]) for row in rows]

    async def mark_done(self, event_ids: Sequence[EventId]) -> int:
        if not event_ids:
            return 0
        async with self._connection("mark done") as conn:
            status = await conn.execute(MARK_DONE, [e.value for e in event_ids])
        return affected(status)

    async def record_failure(self, claim: ClaimedEvent, error: str, *, retry_in: float | None) -> FailureOutcome:
        async with self._connection(str(claim.event_id)) as conn:
            status = await conn.fetchval(
                RECORD_FAILURE, claim.event_id.value, claim.attempt, clip_error(error), retry_in
            )
        if status is None:
            return FailureOutcome.LOST
        return FailureOutcome.DEAD if status == "dead" else FailureOutcome.RETRY

    async def list_dead(self, limit: int = 50) -> Sequence[DeadEvent]:
        async with self._connection("list dead") as conn:
            rows = await conn.fetch(LIST_DEAD, limit)
        return [DeadEvent(_event_id(r[0]), r[1], r[2], r[3], r[4], _payload(r[5])) for r in rows]

    async def retry_dead(self, event_ids: Sequence[EventId] | None = None) -> int:
        ids = [e.value for e in event_ids] if event_ids is not None else None
        async with self._connection("retry dead") as conn:
            status = await conn.execute(RETRY_DEAD, ids)
        return affected(status)

    async def backlog(self) -> Backlog:
        async with self._connection("backlog") as conn:
            row = await conn.fetchrow(BACKLOG)
        return Backlog(
            pending=int(row[0]),
            due=int(row[1]),
            dead=int(row[2]),
            next_due_in=_seconds(row[3]),
            oldest_due_age=_seconds(row[4]),
        )

    async def purge_dispatched(self, older_than_seconds: float) -> int:
        async with self._connection("purge") as conn:
            status = await conn.execute(PURGE_DISPATCHED, older_than_seconds)
        return affected(status)
