"""UserRepository and GoalRepository on the unit of work's connection.

Expected outcomes never abort the transaction, so a caller may catch them and go on, as with the fakes:
inserts use ``ON CONFLICT DO NOTHING`` and then find out which key collided; a ``save`` that changes a
unique key (email, legacy id) runs under a short savepoint; version checks read the affected row count.
Any other database error aborts the transaction (the unit of work then only rolls back).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import asyncpg

from gaia_adapters.postgres import rows, sql
from gaia_adapters.postgres.driver import DriverConnection
from gaia_domain.errors import AlreadyExists, ConcurrencyConflict, DomainError, DuplicateEmail, InvalidInput, NotFound
from gaia_domain.goals import Goal
from gaia_domain.ids import GoalId, UserId
from gaia_domain.pagination import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor, page_size
from gaia_domain.users import User, normalize_email
from gaia_domain.validation import utc_ms

if TYPE_CHECKING:
    from gaia_adapters.postgres.unit_of_work import PostgresUnitOfWork

_GUARD = "gaia_unique_guard"


class PostgresUserRepository:
    __slots__ = ("_uow",)

    def __init__(self, uow: PostgresUnitOfWork) -> None:
        self._uow = uow

    def _loaded(self, row: Sequence[Any]) -> User:
        user = rows.user_from(row)
        self._uow.track(user)
        self._uow.user_keys[user.id] = (user.email.normalized, user.legacy_id)
        return user

    async def _one(self, query: str, arg: object, key: object) -> User:
        uow = self._uow
        conn = uow.connection()
        try:
            row = await conn.fetchrow(query, arg)
        except Exception as error:
            raise uow.failed(error, "user", key) from error
        if row is None:
            raise NotFound("user", key)
        return self._loaded(row)

    async def add(self, user: User) -> None:
        uow = self._uow
        conn = uow.connection()
        try:
            xid = await conn.fetchval(sql.INSERT_USER, *rows.user_insert_args(user))
            if xid is None:
                raise await _user_conflict(conn, user)
        except DomainError:
            raise
        except Exception as error:
            raise uow.failed(error, "user", user.id.value) from error
        uow.wrote(xid)
        uow.track(user)
        uow.user_keys[user.id] = (user.email.normalized, user.legacy_id)

    async def get(self, user_id: UserId) -> User:
        user_id = UserId.parse(user_id)
        return await self._one(sql.SELECT_USER, user_id.value, user_id.value)

    async def get_by_email(self, email: str) -> User:
        key = normalize_email(email)
        return await self._one(sql.SELECT_USER_BY_EMAIL, key, key)

    async def get_by_legacy_id(self, legacy_id: str) -> User:
        if not isinstance(legacy_id, str):
            raise InvalidInput("legacy_id", f"must be a string, got {type(legacy_id).__name__}")
        if not _storable(legacy_id):
            raise NotFound("user", legacy_id)  # no stored value can contain it; PostgreSQL would reject it
        return await self._one(sql.SELECT_USER_BY_LEGACY_ID, legacy_id, legacy_id)

    async def save(self, user: User) -> None:
        uow = self._uow
        conn = uow.connection()
        keys = (user.email.normalized, user.legacy_id)
        args = rows.user_update_args(user)
        try:
            if uow.user_keys.get(user.id) == keys:
                xid = await conn.fetchval(sql.UPDATE_USER, *args)
            else:  # a unique key may change: a collision must not abort the whole transaction
                xid = await _guarded_update(conn, sql.UPDATE_USER, args, user)
            if xid is None:
                found = await conn.fetchval(sql.USER_VERSION, user.id.value)
        except DomainError:
            raise
        except Exception as error:
            raise uow.failed(error, "user", user.id.value) from error
        if xid is None:
            if found is None:
                raise NotFound("user", user.id.value)
            raise ConcurrencyConflict("user", user.id.value, user.version)
        uow.wrote(xid)
        user.version += 1
        uow.track(user)
        uow.user_keys[user.id] = keys

    async def delete(self, user_id: UserId) -> None:
        user_id = UserId.parse(user_id)
        uow = self._uow
        conn = uow.connection()
        try:
            xid = await conn.fetchval(sql.DELETE_USER, user_id.value)
        except Exception as error:
            raise uow.failed(error, "user", user_id.value) from error
        if xid is None:
            raise NotFound("user", user_id.value)
        uow.wrote(xid)
        uow.user_keys.pop(user_id, None)

    async def list(self, *, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None) -> Page[User]:
        size = page_size(limit)
        after = UserId.parse(decode_cursor("users", cursor).get("id"), "cursor") if cursor is not None else None
        uow = self._uow
        conn = uow.connection()
        try:
            if after is None:
                found = await conn.fetch(sql.LIST_USERS_FIRST, size + 1)
            else:
                found = await conn.fetch(sql.LIST_USERS_AFTER, size + 1, after.value)
        except Exception as error:
            raise uow.failed(error, "user", "list") from error
        items = tuple(rows.user_from(row) for row in found[:size])
        more = len(found) > size
        return Page(items, encode_cursor("users", {"id": str(items[-1].id)}) if more else None)


class PostgresGoalRepository:
    __slots__ = ("_uow",)

    def __init__(self, uow: PostgresUnitOfWork) -> None:
        self._uow = uow

    async def add(self, goal: Goal) -> None:
        uow = self._uow
        conn = uow.connection()
        try:
            xid = await conn.fetchval(sql.INSERT_GOAL, *rows.goal_insert_args(goal))
            if xid is None:
                if await conn.fetchval(sql.GOAL_EXISTS, goal.id.value):
                    raise AlreadyExists("goal", goal.id.value)
                raise NotFound("user", goal.user_id.value)  # the foreign key to users
        except DomainError:
            raise
        except Exception as error:
            raise uow.failed(error, "goal", goal.id.value) from error
        uow.wrote(xid)
        uow.track(goal)

    async def get(self, user_id: UserId, goal_id: GoalId) -> Goal:
        user_id, goal_id = UserId.parse(user_id), GoalId.parse(goal_id)
        uow = self._uow
        conn = uow.connection()
        try:
            row = await conn.fetchrow(sql.SELECT_GOAL, goal_id.value, user_id.value)
        except Exception as error:
            raise uow.failed(error, "goal", goal_id.value) from error
        if row is None:
            raise NotFound("goal", goal_id.value)  # a foreign goal is indistinguishable from a missing one
        goal = rows.goal_from(row)
        uow.track(goal)
        return goal

    async def list(self, user_id: UserId, *, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None) -> Page[Goal]:
        user_id = UserId.parse(user_id)
        size = page_size(limit)
        after = _decode_time_id("goals", cursor) if cursor is not None else None
        uow = self._uow
        conn = uow.connection()
        try:
            if after is None:
                found = await conn.fetch(sql.LIST_GOALS_FIRST, user_id.value, size + 1)
            else:
                found = await conn.fetch(sql.LIST_GOALS_AFTER, user_id.value, size + 1, *after)
        except Exception as error:
            raise uow.failed(error, "goal", "list") from error
        items = tuple(rows.goal_from(row) for row in found[:size])
        more = len(found) > size
        if not more:
            return Page(items, None)
        last = items[-1]
        return Page(items, encode_cursor("goals", {"t": last.created_at.isoformat(), "id": str(last.id)}))

    async def save(self, goal: Goal) -> None:
        uow = self._uow
        conn = uow.connection()
        try:
            xid = await conn.fetchval(sql.UPDATE_GOAL, *rows.goal_update_args(goal))
            if xid is None:
                found = await conn.fetchval(sql.GOAL_VERSION, goal.id.value, goal.user_id.value)
        except Exception as error:
            raise uow.failed(error, "goal", goal.id.value) from error
        if xid is None:
            if found is None:
                raise NotFound("goal", goal.id.value)
            raise ConcurrencyConflict("goal", goal.id.value, goal.version)
        uow.wrote(xid)
        goal.version += 1
        uow.track(goal)

    async def delete(self, user_id: UserId, goal_id: GoalId) -> None:
        user_id, goal_id = UserId.parse(user_id), GoalId.parse(goal_id)
        uow = self._uow
        conn = uow.connection()
        try:
            xid = await conn.fetchval(sql.DELETE_GOAL, goal_id.value, user_id.value)
        except Exception as error:
            raise uow.failed(error, "goal", goal_id.value) from error
        if xid is None:
            raise NotFound("goal", goal_id.value)
        uow.wrote(xid)

    async def delete_all_for_user(self, user_id: UserId) -> int:
        user_id = UserId.parse(user_id)
        uow = self._uow
        conn = uow.connection()
        try:
            count, xid = await conn.fetchrow(sql.DELETE_GOALS_OF_USER, user_id.value)
        except Exception as error:
            raise uow.failed(error, "goal", user_id.value) from error
        uow.wrote(xid)
        return int(count)


async def _user_conflict(conn: DriverConnection, user: User) -> DomainError:
    """Which unique key a skipped insert collided with, in the fakes' order: id, email, legacy id."""
    found = await conn.fetch(sql.USER_CONFLICT, user.id.value, user.email.normalized, user.legacy_id)
    if any(row[0] for row in found):
        return AlreadyExists("user", user.id.value)
    if any(row[1] for row in found):
        return DuplicateEmail(user.email.value)
    if any(row[2] for row in found):
        return AlreadyExists("user", user.legacy_id)
    # The colliding row was deleted meanwhile by a committed transaction.
    return ConcurrencyConflict("user", user.id.value)


async def _guarded_update(conn: DriverConnection, statement: str, args: Sequence[Any], user: User) -> str | None:
    """The update under a savepoint: a unique violation is undone alone and reported as the domain error."""
    await conn.execute(f"SAVEPOINT {_GUARD}")
    try:
        xid: str | None = await conn.fetchval(statement, *args)
    except asyncpg.UniqueViolationError as error:
        await conn.execute(f"ROLLBACK TO SAVEPOINT {_GUARD}; RELEASE SAVEPOINT {_GUARD}")
        if error.constraint_name == "uq_users_email_normalized":
            raise DuplicateEmail(user.email.value) from error
        raise AlreadyExists("user", user.legacy_id) from error
    await conn.execute(f"RELEASE SAVEPOINT {_GUARD}")
    return xid


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _decode_time_id(kind: str, token: str) -> tuple[datetime, uuid.UUID]:
    key = decode_cursor(kind, token)
    raw_time, raw_id = key.get("t"), key.get("id")
    if not isinstance(raw_time, str) or not isinstance(raw_id, str):
        raise InvalidInput("cursor", "is malformed")
    try:
        moment = utc_ms("cursor", datetime.fromisoformat(raw_time))
    except ValueError as exc:
        raise InvalidInput("cursor", "is malformed") from exc
    return moment, GoalId.parse(raw_id, "cursor").value
