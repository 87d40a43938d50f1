"""One in-memory transaction: private changes over the committed state, savepoints, validated commit.

Reads see the latest committed rows plus this transaction's own changes (like PostgreSQL READ
COMMITTED). Writes are checked at once against what is visible, and checked again at commit against
what other transactions committed meanwhile: the unique email index, the version check of ``save``
and the goal's owner (foreign key). So of two racing units of work exactly one wins, as on PostgreSQL,
where the loser would have blocked and then failed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from gaia_adapters.memory.copies import detached
from gaia_adapters.memory.database import MemoryDatabase, OutboxRecord
from gaia_domain.errors import AlreadyExists, ConcurrencyConflict, DuplicateEmail, NotFound
from gaia_domain.events import Event, event_to_payload
from gaia_domain.goals import Goal
from gaia_domain.ids import GoalId, UserId
from gaia_domain.users import User

K = TypeVar("K")
V = TypeVar("V", User, Goal)


@dataclass
class Changes(Generic[K, V]):
    """Row images written by this transaction (``None`` = deleted) and the committed version each was based on."""

    rows: dict[K, V | None] = field(default_factory=dict)
    base: dict[K, int | None] = field(default_factory=dict)  # None: the row did not exist when first written

    def write(self, key: K, row: V | None, committed: V | None) -> None:
        if key not in self.base:
            self.base[key] = committed.version if committed is not None else None
        self.rows[key] = row


def _merged(committed: dict[K, V], changes: Changes[K, V]) -> dict[K, V]:
    merged = dict(committed)
    for key, row in changes.rows.items():
        if row is None:
            merged.pop(key, None)
        else:
            merged[key] = row
    return merged


@dataclass
class _Savepoint:
    users: Changes[UserId, User]
    goals: Changes[GoalId, Goal]
    outbox: list[OutboxRecord]
    seen: int


class Transaction:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db
        self.users: Changes[UserId, User] = Changes()
        self.goals: Changes[GoalId, Goal] = Changes()
        self.outbox: list[OutboxRecord] = []
        self.seen: list[User | Goal] = []  # aggregates whose events the commit collects
        self._savepoints: list[_Savepoint] = []

    # -- reads -------------------------------------------------------------------------------------------

    def user(self, user_id: UserId) -> User | None:
        return self.users.rows[user_id] if user_id in self.users.rows else self.db.users.get(user_id)

    def goal(self, goal_id: GoalId) -> Goal | None:
        return self.goals.rows[goal_id] if goal_id in self.goals.rows else self.db.goals.get(goal_id)

    def visible_users(self) -> dict[UserId, User]:
        return _merged(self.db.users, self.users)

    def visible_goals(self) -> dict[GoalId, Goal]:
        return _merged(self.db.goals, self.goals)

    def track(self, aggregate: User | Goal) -> None:
        if not any(seen is aggregate for seen in self.seen):
            self.seen.append(aggregate)

    # -- writes ------------------------------------------------------------------------------------------

    def write_user(self, user_id: UserId, user: User | None) -> None:
        self.users.write(user_id, detached(user) if user is not None else None, self.db.users.get(user_id))

    def write_goal(self, goal_id: GoalId, goal: Goal | None) -> None:
        self.goals.write(goal_id, detached(goal) if goal is not None else None, self.db.goals.get(goal_id))

    # -- savepoints --------------------------------------------------------------------------------------

    def savepoint(self) -> None:
        self._savepoints.append(
            _Savepoint(copy.deepcopy(self.users), copy.deepcopy(self.goals), list(self.outbox), len(self.seen))
        )

    def release_savepoint(self) -> None:
        self._savepoints.pop()

    def rollback_to_savepoint(self) -> None:
        saved = self._savepoints.pop()
        self.users, self.goals, self.outbox = saved.users, saved.goals, saved.outbox
        del self.seen[saved.seen :]

    # -- commit ------------------------------------------------------------------------------------------

    def pending_events(self) -> list[Event]:
        return [event for aggregate in self.seen for event in aggregate.events]

    def commit(self) -> None:
        """Validate against what is committed now, then apply everything at once (no await in between)."""
        users = self._validated_users()
        goals = self._validated_goals(users)
        for aggregate in self.seen:
            aggregate.events.clear()
        self.db.users, self.db.goals = users, goals
        self.db.outbox.extend(self.outbox)

    def _validated_users(self) -> dict[UserId, User]:
        committed = self.db.users
        for user_id, base in self.users.base.items():
            current = committed.get(user_id)
            if base is None and current is not None and self.users.rows[user_id] is not None:
                raise AlreadyExists("user", user_id.value)
            if base is not None and current is None and self.users.rows[user_id] is not None:
                raise NotFound("user", user_id.value)
            if base is not None and current is not None and current.version != base and self.users.rows[user_id]:
                raise ConcurrencyConflict("user", user_id.value, base)
        users = _merged(committed, self.users)
        emails: dict[str, UserId] = {}
        legacy_ids: dict[str, UserId] = {}
        for user in users.values():
            if emails.setdefault(user.email.normalized, user.id) != user.id:
                raise DuplicateEmail(user.email.value)
            if user.legacy_id is not None and legacy_ids.setdefault(user.legacy_id, user.id) != user.id:
                raise AlreadyExists("user", user.legacy_id)
        return users

    def _validated_goals(self, users: dict[UserId, User]) -> dict[GoalId, Goal]:
        committed = self.db.goals
        for goal_id, base in self.goals.base.items():
            current = committed.get(goal_id)
            written = self.goals.rows[goal_id]
            if base is None and current is not None and written is not None:
                raise AlreadyExists("goal", goal_id.value)
            if base is not None and current is None and written is not None:
                raise NotFound("goal", goal_id.value)
            if base is not None and current is not None and current.version != base and written is not None:
                raise ConcurrencyConflict("goal", goal_id.value, base)
            if written is not None and written.user_id not in users:
                raise NotFound("user", written.user_id.value)
        # ON DELETE CASCADE: goals of users deleted by this transaction go with them.
        return {gid: g for gid, g in _merged(committed, self.goals).items() if g.user_id in users}


def outbox_record(event: Event, db: MemoryDatabase) -> OutboxRecord:
    return OutboxRecord(
        event_id=event.event_id, type_name=event.type_name, payload=event_to_payload(event), created_at=db.clock.now()
    )
