"""GoalRepository over an in-memory transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from gaia_adapters.memory.copies import detached
from gaia_adapters.memory.keyset import decode_time_id, encode_time_id
from gaia_adapters.memory.transaction import Transaction
from gaia_domain.errors import AlreadyExists, ConcurrencyConflict, NotFound
from gaia_domain.goals import Goal
from gaia_domain.ids import GoalId, UserId
from gaia_domain.pagination import DEFAULT_PAGE_SIZE, Page, page_size


class MemoryGoalRepository:
    def __init__(self, transaction: Callable[[], Transaction]) -> None:
        self._tx = transaction

    async def _open(self) -> Transaction:
        await asyncio.sleep(0)  # a real driver yields here: let other tasks interleave
        return self._tx()

    @staticmethod
    def _owned(tx: Transaction, user_id: UserId, goal_id: GoalId) -> Goal:
        stored = tx.goal(goal_id)
        if stored is None or stored.user_id != user_id:
            raise NotFound("goal", goal_id.value)  # foreign == missing
        return stored

    async def add(self, goal: Goal) -> None:
        tx = await self._open()
        if tx.goal(goal.id) is not None:
            raise AlreadyExists("goal", goal.id.value)
        if tx.user(goal.user_id) is None:
            raise NotFound("user", goal.user_id.value)  # the foreign key to users
        tx.write_goal(goal.id, goal)
        tx.track(goal)

    async def get(self, user_id: UserId, goal_id: GoalId) -> Goal:
        user_id, goal_id = UserId.parse(user_id), GoalId.parse(goal_id)
        tx = await self._open()
        result = detached(self._owned(tx, user_id, goal_id))
        tx.track(result)
        return result

    async def list(self, user_id: UserId, *, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None) -> Page[Goal]:
        user_id = UserId.parse(user_id)
        size = page_size(limit)
        after = None
        if cursor is not None:
            time, raw_id = decode_time_id("goals", cursor)
            after = (time, GoalId.parse(raw_id, "cursor"))
        tx = await self._open()
        mine = [g for g in tx.visible_goals().values() if g.user_id == user_id]
        ordered = sorted(mine, key=lambda g: (g.created_at, g.id), reverse=True)
        rest = [g for g in ordered if after is None or (g.created_at, g.id) < after]
        items = tuple(detached(g) for g in rest[:size])
        more = len(rest) > size
        return Page(items, encode_time_id("goals", items[-1].created_at, items[-1].id) if more else None)

    async def save(self, goal: Goal) -> None:
        tx = await self._open()
        stored = self._owned(tx, goal.user_id, goal.id)
        if stored.version != goal.version:
            raise ConcurrencyConflict("goal", goal.id.value, goal.version)
        goal.version += 1
        tx.write_goal(goal.id, goal)
        tx.track(goal)

    async def delete(self, user_id: UserId, goal_id: GoalId) -> None:
        user_id, goal_id = UserId.parse(user_id), GoalId.parse(goal_id)
        tx = await self._open()
        self._owned(tx, user_id, goal_id)
        tx.write_goal(goal_id, None)

    async def delete_all_for_user(self, user_id: UserId) -> int:
        user_id = UserId.parse(user_id)
        tx = await self._open()
        mine = [g.id for g in tx.visible_goals().values() if g.user_id == user_id]
        for goal_id in mine:
            tx.write_goal(goal_id, None)
        return len(mine)
