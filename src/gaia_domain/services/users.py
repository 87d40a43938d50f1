"""Use cases of users: register, profile, onboarding, delete, lookups."""

from __future__ import annotations

from gaia_domain.clock import Clock
from gaia_domain.ids import UserId
from gaia_domain.pagination import DEFAULT_PAGE_SIZE, Page
from gaia_domain.services._uow import UnitOfWorkFactory
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
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
            user.update_profile(
                clock=self._clock, name=name, picture_url=picture_url, timezone=timezone, clear_picture=clear_picture
            )
            await uow.users.save(user)
            await uow.commit()
            events = list(uow.committed_events)
        await self._dispatcher.after_commit(events)
        return user

    async def update_onboarding(
        self,
        user_id: UserId,
        *,
        phase: OnboardingPhase | str | None = None,
        preferences: Preferences | None = None,
    ) -> User:
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
            user.update_onboarding(clock=self._clock, phase=phase, preferences=preferences)
            await uow.users.save(user)
            await uow.commit()
            events = list(uow.committed_events)
        await self._dispatcher.after_commit(events)
        return user

    async def record_activity(self, user_id: UserId) -> User:
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
            user.touch(self._clock)
            await uow.users.save(user)
            await uow.commit()
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
