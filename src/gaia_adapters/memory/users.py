"""UserRepository over an in-memory transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from gaia_adapters.memory.copies import detached
from gaia_adapters.memory.transaction import Transaction
from gaia_domain.errors import AlreadyExists, ConcurrencyConflict, DuplicateEmail, NotFound
from gaia_domain.ids import UserId
from gaia_domain.pagination import DEFAULT_PAGE_SIZE, Page, decode_cursor, encode_cursor, page_size
from gaia_domain.users import User, normalize_email


class MemoryUserRepository:
    def __init__(self, transaction: Callable[[], Transaction]) -> None:
        self._tx = transaction  # raises UnitOfWorkError unless the unit of work is open

    async def _open(self) -> Transaction:
        await asyncio.sleep(0)  # a real driver yields here: let other tasks interleave
        return self._tx()

    def _check_unique_keys(self, tx: Transaction, user: User) -> None:
        """The unique indexes after the primary key: normalised email, then legacy id."""
        others = [u for u in tx.visible_users().values() if u.id != user.id]
        if any(other.email.normalized == user.email.normalized for other in others):
            raise DuplicateEmail(user.email.value)
        if user.legacy_id is not None and any(other.legacy_id == user.legacy_id for other in others):
            raise AlreadyExists("user", user.legacy_id)

    def _returned(self, tx: Transaction, user: User | None, key: object) -> User:
        if user is None:
            raise NotFound("user", key)
        result = detached(user)
        tx.track(result)
        return result

    async def add(self, user: User) -> None:
        tx = await self._open()
        if tx.user(user.id) is not None:
            raise AlreadyExists("user", user.id.value)
        self._check_unique_keys(tx, user)
        tx.write_user(user.id, user)
        tx.track(user)

    async def get(self, user_id: UserId) -> User:
        user_id = UserId.parse(user_id)
        tx = await self._open()
        return self._returned(tx, tx.user(user_id), user_id.value)

    async def get_by_email(self, email: str) -> User:
        key = normalize_email(email)
        tx = await self._open()
        found = next((u for u in tx.visible_users().values() if u.email.normalized == key), None)
        return self._returned(tx, found, key)

    async def get_by_legacy_id(self, legacy_id: str) -> User:
        tx = await self._open()
        found = next((u for u in tx.visible_users().values() if u.legacy_id == legacy_id), None)
        return self._returned(tx, found, legacy_id)

    async def save(self, user: User) -> None:
        tx = await self._open()
        stored = tx.user(user.id)
        if stored is None:
            raise NotFound("user", user.id.value)
        if stored.version != user.version:
            raise ConcurrencyConflict("user", user.id.value, user.version)
        self._check_unique_keys(tx, user)
        user.version += 1
        tx.write_user(user.id, user)
        tx.track(user)

    async def delete(self, user_id: UserId) -> None:
        user_id = UserId.parse(user_id)
        tx = await self._open()
        if tx.user(user_id) is None:
            raise NotFound("user", user_id.value)
        tx.write_user(user_id, None)
        for goal in tx.visible_goals().values():  # ON DELETE CASCADE
            if goal.user_id == user_id:
                tx.write_goal(goal.id, None)

    async def list(self, *, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None) -> Page[User]:
        size = page_size(limit)
        after = UserId.parse(decode_cursor("users", cursor).get("id"), "cursor") if cursor is not None else None
        tx = await self._open()
        ordered = sorted(tx.visible_users().values(), key=lambda u: u.id)
        rest = [u for u in ordered if after is None or u.id > after]
        items = tuple(detached(u) for u in rest[:size])
        more = len(rest) > size
        return Page(items, encode_cursor("users", {"id": str(items[-1].id)}) if more else None)
