"""What the relay needs from an outbox table: claim, finish, retry, park, inspect.

Not a domain port (the domain only writes events, see ``gaia_domain.ports.Outbox``): each backend drains its
own table. ``gaia_adapters.postgres.outbox_relay`` implements it on PostgreSQL and
``gaia_adapters.memory.outbox_relay`` is its in-memory twin; ``tests/unit/relay`` runs one behaviour suite
over the twin and ``tests/integration/consistency`` over PostgreSQL.

Claims are leases. Claiming a due pending event counts an attempt and moves its ``available_at`` forward by
the lease, so no other relay (nor the in-process dispatcher) takes it meanwhile; PostgreSQL's
``FOR UPDATE SKIP LOCKED`` makes two claimers at the same instant take disjoint rows. The attempt number
the claim returns is the lease's fencing token: only the holder of the latest claim may schedule a retry.
A claimer that dies simply lets its lease run out; the next claim delivers the event again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from gaia_domain.ids import EventId

MAX_ERROR_LENGTH = 2000
# Written as last_error when an event is parked at claim time: its last lease ran out without a result.
ABANDONED = "the last attempt never reported back (its process died or overran the lease)"


@dataclass(frozen=True)
class ClaimedEvent:
    event_id: EventId
    type_name: str
    payload: dict[str, Any]
    attempt: int  # 1 for the first delivery; the fencing token of this lease


@dataclass(frozen=True)
class ClaimBatch:
    claimed: Sequence[ClaimedEvent]
    parked: Sequence[EventId]  # found due with every attempt used up: parked as dead instead of delivered


class FailureOutcome(StrEnum):
    RETRY = "retry"  # pending again, due after the backoff
    DEAD = "dead"  # parked: no more automatic attempts
    LOST = "lost"  # the lease was taken over (or the event finished elsewhere): nothing written


@dataclass(frozen=True)
class DeadEvent:
    event_id: EventId
    type_name: str
    attempts: int
    last_error: str | None
    created_at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True)
class Backlog:
    pending: int  # not dispatched yet: due now, leased, or waiting for a retry
    due: int  # pending and claimable now
    dead: int
    next_due_in: float | None  # seconds until the earliest pending event that is not due yet becomes due
    oldest_due_age: float | None  # seconds the oldest due event has been waiting


class OutboxRelayStore(Protocol):
    async def claim_due(self, limit: int, *, lease_seconds: float, max_attempts: int) -> ClaimBatch:
        """Lease up to ``limit`` due pending events, oldest first; park those with no attempt left."""
        ...

    async def claim_events(self, event_ids: Sequence[EventId], *, lease_seconds: float) -> Sequence[ClaimedEvent]:
        """Lease these events if they are still pending and due (skipping any another claimer holds)."""
        ...

    async def mark_done(self, event_ids: Sequence[EventId]) -> int:
        """Mark pending events dispatched; returns how many changed (finished ones are left alone)."""
        ...

    async def record_failure(self, claim: ClaimedEvent, error: str, *, retry_in: float | None) -> FailureOutcome:
        """Under ``claim``'s lease: store ``error`` and make the event due after ``retry_in`` s, or dead if None."""
        ...

    async def list_dead(self, limit: int = 50) -> Sequence[DeadEvent]:
        """Dead events, oldest first."""
        ...

    async def retry_dead(self, event_ids: Sequence[EventId] | None = None) -> int:
        """Make dead events (all, or these) pending and due now with a fresh attempt count; returns how many."""
        ...

    async def backlog(self) -> Backlog: ...

    async def purge_dispatched(self, older_than_seconds: float) -> int:
        """Delete dispatched rows finished more than ``older_than_seconds`` ago; returns how many."""
        ...


def clip_error(text: str) -> str:
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"
