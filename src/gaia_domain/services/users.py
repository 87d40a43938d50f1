"""Use cases of users: register, profile, onboarding, delete, lookups."""

from __future__ import annotations

from collections.abc import Callable

from gaia_domain.clock import Clock
from gaia_domain.events import Event
from gaia_domain.ids import UserId
from gaia_domain.pagination import DEFAULT_PAGE_SIZE, Page
from gaia_domain.services._uow import UnitOfWorkFactory, retry_on_conflict
from gaia_domain.services.bus import EventDispatcher
from gaia_domain.users import OnboardingPhase, Preferences, User


class UserService:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock, dispatcher: EventDispatcher) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._dispatcher = dispatcher

    async def register(
        self,
        *,
        email: str,
        name: str,
        picture_url: str | None = None,
        timezone: str = "UTC",
        legacy_id: str | None = None,
    ) -> User:
        """Create a user; ``DuplicateEmail`` when the address (any letter case) is taken."""
        user = User.register(
            email=email, name=name, clock=self._clock, picture_url=picture_url, timezone=timezone, legacy_id=legacy_id
        )
        async with self._uow() as uow:
            await uow.users.add(user)
            await uow.commit()
            events = list(uow.committed_events)
        await self._dispatcher.after_commit(events)
        return user

    async def get(self, user_id: UserId) -> User:
        async with self._uow() as uow:
            return await uow.users.get(user_id)

    async def get_by_email(self, email: str) -> User:
        async with self._uow() as uow:
            return await uow.users.get_by_email(email)

    async def list(self, *, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None) -> Page[User]:
        async with self._uow() as uow:
            return await uow.users.list(limit=limit, cursor=cursor)

    async def update_profile(
        self,
        user_id: UserId,
        *,
        name: str | None = None,
        picture_url: str | None = None,
        timezone: str | None = None,
        clear_picture: bool = False,
    ) -> User:
        """Change the given fields (``clear_picture`` removes the picture); the other fields stay as stored."""
        return await self._change(
            user_id,
            lambda user: user.update_profile(
                clock=self._clock, name=name, picture_url=picture_url, timezone=timezone, clear_picture=clear_picture
            ),
        )

    async def update_onboarding(
        self,
        user_id: UserId,
        *,
        phase: OnboardingPhase | str | None = None,
        preferences: Preferences | None = None,
    ) -> User:
        """Move the onboarding forward and/or replace the preferences (checked against the stored state)."""
        return await self._change(
            user_id, lambda user: user.update_onboarding(clock=self._clock, phase=phase, preferences=preferences)
        )

    async def record_activity(self, user_id: UserId) -> User:
        """Set ``last_active_at`` to now (an application may call it on every request)."""
        return await self._change(user_id, lambda user: user.touch(self._clock))

    async def _change(self, user_id: UserId, change: Callable[[User], object]) -> User:
        """Read the user, apply ``change``, save. These commands name the fields they set and carry no version,
        so a save that lost to another writer (``ConcurrencyConflict``) is re-run on the fresh state: each
        writer's fields land, nobody's are overwritten with stale values, and the caller sees no conflict."""

        async def attempt() -> tuple[User, list[Event]]:
            async with self._uow() as uow:
                user = await uow.users.get(user_id)
                change(user)
                await uow.users.save(user)
                await uow.commit()
                return user, list(uow.committed_events)

        user, events = await retry_on_conflict(attempt)
        await self._dispatcher.after_commit(events)
        return user

    async def delete(self, user_id: UserId) -> None:
        """Delete the user and their goals in one transaction; ``UserDeleted`` removes their conversations."""
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
            user.mark_deleted(self._clock)
            await uow.goals.delete_all_for_user(user_id)
            await uow.users.delete(user_id)
            await uow.commit()
            events = list(uow.committed_events)
        await self._dispatcher.after_commit(events)
