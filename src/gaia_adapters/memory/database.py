"""The committed state of the in-memory relational store (the twin of one PostgreSQL database)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gaia_domain.clock import Clock, SystemClock
from gaia_domain.errors import NotFound
from gaia_domain.goals import Goal
from gaia_domain.ids import EventId, GoalId, UserId
from gaia_domain.users import User


@dataclass
class OutboxRecord:
    """One stored event, as the PostgreSQL outbox table holds it."""

    event_id: EventId
    type_name: str
    payload: dict[str, Any]
    created_at: datetime
    dispatched_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    status: str = "pending"  # pending | dispatched | dead, as tables.outbox (the relay's twin drives it)
    available_at: datetime | None = None  # None: due since it was written


@dataclass
class MemoryDatabase:
    """Users, goals and outbox records as committed. Only a unit of work's commit writes here."""

    clock: Clock = field(default_factory=SystemClock)
    users: dict[UserId, User] = field(default_factory=dict)
    goals: dict[GoalId, Goal] = field(default_factory=dict)
    outbox: list[OutboxRecord] = field(default_factory=list)

    def snapshot(self) -> tuple[object, ...]:
        """A deep, comparable copy of everything stored (for 'state unchanged' assertions)."""
        return copy.deepcopy(
            (
                sorted((u.snapshot() for u in self.users.values()), key=lambda s: str(s[0])),
                sorted((g.snapshot() for g in self.goals.values()), key=lambda s: str(s[0])),
                [(r.event_id, r.type_name, r.payload, r.dispatched_at, r.attempts, r.last_error) for r in self.outbox],
            )
        )

    # The relay's side of the outbox (not part of the port: adapters choose how they are drained).

    def pending_events(self, limit: int = 100) -> Sequence[OutboxRecord]:
        return [r for r in self.outbox if r.dispatched_at is None][:limit]

    def mark_dispatched(self, event_id: EventId, at: datetime | None = None) -> None:
        record = self._record(event_id)
        record.dispatched_at = at or self.clock.now()
        record.attempts += 1

    def record_failure(self, event_id: EventId, error: str) -> None:
        record = self._record(event_id)
        record.attempts += 1
        record.last_error = error

    def _record(self, event_id: EventId) -> OutboxRecord:
        for record in self.outbox:
            if record.event_id == event_id:
                return record
        raise NotFound("outbox event", event_id)
