"""The committed state of the in-memory relational store (the twin of one PostgreSQL database)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gaia_domain.clock import Clock, SystemClock
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
    """Users, goals and outbox records as committed. Only a unit of work's commit writes users and goals;
    the relay's twin (``outbox_relay``) updates the outbox records' delivery columns."""

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
                [
                    (r.event_id, r.type_name, r.payload, r.status, r.dispatched_at, r.attempts, r.last_error)
                    for r in self.outbox
                ],
            )
        )
