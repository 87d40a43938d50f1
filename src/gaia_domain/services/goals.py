"""Use cases of goals: create, edit the roadmap, complete nodes, list, delete."""

from __future__ import annotations

from gaia_domain.clock import Clock
from gaia_domain.errors import InvalidInput
from gaia_domain.events import Event
from gaia_domain.goals import Goal, Roadmap
from gaia_domain.ids import ConversationId, GoalId, UserId
from gaia_domain.pagination import DEFAULT_PAGE_SIZE, Page, page_size
from gaia_domain.ports import ConversationStore
from gaia_domain.services._uow import UnitOfWorkFactory, retry_on_conflict
from gaia_domain.services.bus import EventDispatcher

MAX_VERSION = 2**31 - 1  # versions are 32-bit integers in PostgreSQL


def _check_version(value: object) -> None:
    """An integer that could be a version; 0 is one no writer ever read (a stale edit), not a malformed one."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("expected_version", f"must be an integer, got {type(value).__name__}")
    if not 0 <= value <= MAX_VERSION:
        raise InvalidInput("expected_version", f"must be between 0 and {MAX_VERSION}, got {value}")


class GoalService:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        dispatcher: EventDispatcher,
        conversations: ConversationStore | None = None,
    ) -> None:
        """``conversations``, when given, is where a goal's linked conversation must exist (and belong to the
        goal's owner) when the goal is created; the container always passes it."""
        self._uow = uow_factory
        self._clock = clock
        self._dispatcher = dispatcher
        self._conversations = conversations

    async def create(
        self,
        user_id: UserId,
        *,
        title: str,
        description: str = "",
        roadmap: Roadmap | None = None,
        conversation_id: ConversationId | None = None,
    ) -> Goal:
        user_id = UserId.parse(user_id)  # a string form is accepted, as by every other use case
        goal = Goal.create(
            user_id=user_id,
            title=title,
            description=description,
            roadmap=roadmap,
            conversation_id=conversation_id,
            clock=self._clock,
        )
        if goal.conversation_id is not None and self._conversations is not None:
            # NotFound for a missing or foreign conversation, instead of a completion announcement that is
            # silently skipped later (it can still be deleted afterwards: the announcement handler allows that)
            await self._conversations.get(user_id, goal.conversation_id, last_messages=1)
        async with self._uow() as uow:
            await uow.users.get(user_id)  # NotFound for an unknown owner
            await uow.goals.add(goal)
            await uow.commit()
            events = list(uow.committed_events)
        await self._dispatcher.after_commit(events)
        return goal

    async def get(self, user_id: UserId, goal_id: GoalId) -> Goal:
        async with self._uow() as uow:
            return await uow.goals.get(user_id, goal_id)

    async def list(self, user_id: UserId, *, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None) -> Page[Goal]:
        async with self._uow() as uow:
            return await uow.goals.list(user_id, limit=page_size(limit), cursor=cursor)

    async def edit(
        self,
        user_id: UserId,
        goal_id: GoalId,
        *,
        title: str | None = None,
        description: str | None = None,
        roadmap: Roadmap | None = None,
        expected_version: int | None = None,
    ) -> Goal:
        """Edit the given fields. With ``expected_version`` (the version the editor read) a stale editor gets
        ``ConcurrencyConflict``; without it a save that lost to another writer is re-run on the fresh goal, so
        each writer's fields land and the caller sees no conflict."""
        if expected_version is not None:
            _check_version(expected_version)

        async def attempt() -> tuple[Goal, list[Event]]:
            async with self._uow() as uow:
                goal = await uow.goals.get(user_id, goal_id)
                if expected_version is not None:
                    goal.version = expected_version
                goal.edit(clock=self._clock, title=title, description=description, roadmap=roadmap)
                await uow.goals.save(goal)
                await uow.commit()
                return goal, list(uow.committed_events)

        if expected_version is None:
            goal, events = await retry_on_conflict(attempt)
        else:
            goal, events = await attempt()
        await self._dispatcher.after_commit(events)
        return goal

    async def complete_node(self, user_id: UserId, goal_id: GoalId, node_id: str) -> Goal:
        """Mark a roadmap node complete (idempotent; retried on a concurrent save)."""

        async def attempt() -> tuple[Goal, list[Event]]:
            async with self._uow() as uow:
                goal = await uow.goals.get(user_id, goal_id)
                before = goal.snapshot()
                goal.complete_node(node_id, self._clock)
                if goal.snapshot() == before:  # already complete: no write, so no version bump for other editors
                    return goal, []
                await uow.goals.save(goal)
                await uow.commit()
                return goal, list(uow.committed_events)

        goal, events = await retry_on_conflict(attempt)
        await self._dispatcher.after_commit(events)
        return goal

    async def delete(self, user_id: UserId, goal_id: GoalId) -> None:
        async with self._uow() as uow:
            await uow.goals.delete(user_id, goal_id)
            await uow.commit()
