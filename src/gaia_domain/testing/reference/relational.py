"""The reference users/goals store and unit of work: copy everything on open, swap it in on commit."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, TypeVar

from gaia_domain.errors import AlreadyExists, ConcurrencyConflict, DuplicateEmail, NotFound, UnitOfWorkError
from gaia_domain.events import Event, event_to_payload
from gaia_domain.goals import Goal
from gaia_domain.ids import GoalId, UserId
from gaia_domain.pagination import DEFAULT_PAGE_SIZE, Page
from gaia_domain.ports import UnitOfWorkState
from gaia_domain.testing.reference._paging import check_limit, offset_of, page
from gaia_domain.users import User, normalize_email


@dataclass
class ReferenceDatabase:
    users: dict[UserId, User] = field(default_factory=dict)
    goals: dict[GoalId, Goal] = field(default_factory=dict)
    outbox: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (event id, type, payload)


A = TypeVar("A", User, Goal)


def _stored(aggregate: A) -> A:
    clone = copy.deepcopy(aggregate)
    clone.events = []
    return clone


class _Users:
    def __init__(self, uow: ReferenceUnitOfWork) -> None:
        self._uow = uow

    async def add(self, user: User) -> None:
        db = self._uow.working()
        if user.id in db.users:
            raise AlreadyExists("user", user.id.value)
        if any(u.email.normalized == user.email.normalized for u in db.users.values()):
            raise DuplicateEmail(user.email.value)
        if user.legacy_id is not None and any(u.legacy_id == user.legacy_id for u in db.users.values()):
            raise AlreadyExists("user", user.legacy_id)
        db.users[user.id] = _stored(user)
        self._uow.seen(user)

    async def get(self, user_id: UserId) -> User:
        db = self._uow.working()
        if user_id not in db.users:
            raise NotFound("user", user_id.value)
        return self._uow.seen(_stored(db.users[user_id]))

    async def get_by_email(self, email: str) -> User:
        wanted = normalize_email(email)
        for user in self._uow.working().users.values():
            if user.email.normalized == wanted:
                return self._uow.seen(_stored(user))
        raise NotFound("user", wanted)

    async def get_by_legacy_id(self, legacy_id: str) -> User:
        for user in self._uow.working().users.values():
            if user.legacy_id == legacy_id:
                return self._uow.seen(_stored(user))
        raise NotFound("user", legacy_id)

    async def save(self, user: User) -> None:
        db = self._uow.working()
        if user.id not in db.users:
            raise NotFound("user", user.id.value)
        if db.users[user.id].version != user.version:
            raise ConcurrencyConflict("user", user.id.value, user.version)
        others = [u for u in db.users.values() if u.id != user.id]
        if any(u.email.normalized == user.email.normalized for u in others):
            raise DuplicateEmail(user.email.value)
        if user.legacy_id is not None and any(u.legacy_id == user.legacy_id for u in others):
            raise AlreadyExists("user", user.legacy_id)
        user.version += 1
        db.users[user.id] = _stored(user)
        self._uow.seen(user)

    async def delete(self, user_id: UserId) -> None:
        db = self._uow.working()
        if user_id not in db.users:
            raise NotFound("user", user_id.value)
        del db.users[user_id]
        db.goals = {k: g for k, g in db.goals.items() if g.user_id != user_id}

    async def list(self, *, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None) -> Page[User]:
        size = check_limit(limit)
        offset = offset_of(cursor, "users")
        ordered = sorted(self._uow.working().users.values(), key=lambda u: u.id.value)
        return page([_stored(u) for u in ordered], size, offset, "users")


class _Goals:
    def __init__(self, uow: ReferenceUnitOfWork) -> None:
        self._uow = uow

    def _owned(self, user_id: UserId, goal_id: GoalId) -> Goal:
        goal = self._uow.working().goals.get(goal_id)
        if goal is None or goal.user_id != user_id:
            raise NotFound("goal", goal_id.value)
        return goal

    async def add(self, goal: Goal) -> None:
        db = self._uow.working()
        if goal.id in db.goals:
            raise AlreadyExists("goal", goal.id.value)
        if goal.user_id not in db.users:
            raise NotFound("user", goal.user_id.value)
        db.goals[goal.id] = _stored(goal)
        self._uow.seen(goal)

    async def get(self, user_id: UserId, goal_id: GoalId) -> Goal:
        return self._uow.seen(_stored(self._owned(user_id, goal_id)))

    async def list(self, user_id: UserId, *, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None) -> Page[Goal]:
        size = check_limit(limit)
        scope = f"goals:{user_id}"
        offset = offset_of(cursor, scope)
        mine = [g for g in self._uow.working().goals.values() if g.user_id == user_id]
        mine.sort(key=lambda g: (g.created_at, g.id.value), reverse=True)
        return page([_stored(g) for g in mine], size, offset, scope)

    async def save(self, goal: Goal) -> None:
        stored = self._owned(goal.user_id, goal.id)
        if stored.version != goal.version:
            raise ConcurrencyConflict("goal", goal.id.value, goal.version)
        goal.version += 1
        self._uow.working().goals[goal.id] = _stored(goal)
        self._uow.seen(goal)

    async def delete(self, user_id: UserId, goal_id: GoalId) -> None:
        self._owned(user_id, goal_id)
        del self._uow.working().goals[goal_id]

    async def delete_all_for_user(self, user_id: UserId) -> int:
        db = self._uow.working()
        doomed = [k for k, g in db.goals.items() if g.user_id == user_id]
        for key in doomed:
            del db.goals[key]
        return len(doomed)


class _Outbox:
    def __init__(self, uow: ReferenceUnitOfWork) -> None:
        self._uow = uow

    async def add(self, events: Sequence[Event]) -> None:
        self._uow.working().outbox.extend((str(e.event_id), e.type_name, event_to_payload(e)) for e in events)


class ReferenceUnitOfWork:
    def __init__(self, db: ReferenceDatabase) -> None:
        self._db = db
        self._state = UnitOfWorkState.NEW
        self._stack: list[tuple[ReferenceDatabase, int, bool]] = []  # (working copy, seen count, released)
        self._seen: list[User | Goal] = []
        self._committed: list[Event] = []
        self.users = _Users(self)
        self.goals = _Goals(self)
        self.outbox = _Outbox(self)

    @property
    def state(self) -> UnitOfWorkState:
        return self._state

    @property
    def committed_events(self) -> Sequence[Event]:
        return tuple(self._committed)

    def working(self) -> ReferenceDatabase:
        if self._state is not UnitOfWorkState.OPEN:
            raise UnitOfWorkError(f"the unit of work is {self._state.value}")
        return self._stack[-1][0]

    def seen(self, aggregate: A) -> A:
        if all(a is not aggregate for a in self._seen):
            self._seen.append(aggregate)
        return aggregate

    async def __aenter__(self) -> Self:
        if self._state is UnitOfWorkState.NEW:
            self._state = UnitOfWorkState.OPEN
            self._stack = [(copy.deepcopy(self._db), 0, False)]
        elif self._state is UnitOfWorkState.OPEN:
            self._stack.append((copy.deepcopy(self._stack[-1][0]), len(self._seen), False))
        else:
            raise UnitOfWorkError("a unit of work is used once")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._state is not UnitOfWorkState.OPEN:
            return
        if len(self._stack) == 1:
            self._state = UnitOfWorkState.ROLLED_BACK
            return
        working, seen, released = self._stack.pop()
        if released:
            self._stack[-1] = (working, *self._stack[-1][1:])
        else:
            del self._seen[seen:]

    async def commit(self) -> None:
        working = self.working()
        if len(self._stack) > 1:
            if self._stack[-1][2]:
                raise UnitOfWorkError("this savepoint was already released")
            self._stack[-1] = (working, self._stack[-1][1], True)
            return
        events = [e for a in self._seen for e in a.events]
        await self.outbox.add(events)
        for aggregate in self._seen:
            aggregate.events.clear()
        self._db.users, self._db.goals, self._db.outbox = working.users, working.goals, working.outbox
        self._committed = events
        self._state = UnitOfWorkState.COMMITTED

    async def rollback(self) -> None:
        self.working()
        if len(self._stack) == 1:
            self._state = UnitOfWorkState.ROLLED_BACK
            return
        _, seen, _ = self._stack[-1]
        self._stack[-1] = (copy.deepcopy(self._stack[-2][0]), seen, False)
        del self._seen[seen:]
