"""The UserRepository contract: case rules, uniqueness, versions, keyset order, exact round trips."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings

from gaia_domain.clock import Clock
from gaia_domain.errors import AlreadyExists, ConcurrencyConflict, DuplicateEmail, InvalidInput, NotFound
from gaia_domain.goals import Goal
from gaia_domain.ids import GoalId, UserId
from gaia_domain.pagination import encode_cursor
from gaia_domain.testing import builders
from gaia_domain.testing import strategies as gs
from gaia_domain.testing.contracts._base import (
    SHARED_BY_SUBCLASSES,
    ContractBase,
    UnitOfWorkFactory,
    add_user,
    all_users,
    walk,
)
from gaia_domain.users import Email, OnboardingPhase, Preferences, User


class UserRepositoryContract(ContractBase):
    @settings(max_examples=25, deadline=None, suppress_health_check=SHARED_BY_SUBCLASSES)
    @given(user=gs.users(), goal=gs.goals())
    async def test_any_valid_user_and_goal_round_trip_exactly(
        self, uow_factory: UnitOfWorkFactory, user: User, goal: Goal
    ) -> None:
        fresh = uuid.uuid4().hex[:8]  # the store outlives the examples: keep unique keys fresh
        local, domain = user.email.value.rsplit("@", 1)
        user.id, user.email = UserId.new(), Email(f"{local}.{fresh}@{domain}")
        user.legacy_id = f"{user.legacy_id}-{fresh}" if user.legacy_id is not None else None
        goal.id, goal.user_id = GoalId.new(), user.id
        async with uow_factory() as uow:
            await uow.users.add(user)
            await uow.goals.add(goal)
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.users.get(user.id) == user
            assert await uow.users.get_by_email(user.email.value.upper()) == user
            assert await uow.goals.get(user.id, goal.id) == goal  # roadmap DAG, unicode text, times

    async def test_k01_user_read_back_is_a_plain_equal_object_after_the_unit_of_work(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        user = await add_user(uow_factory, clock, legacy_id="legacy-1")
        async with uow_factory() as uow:
            loaded = await uow.users.get(user.id)
        assert uow.state == "rolled_back"
        assert loaded is not user
        assert loaded == user  # every stored field, read with no I/O after the unit of work closed
        assert type(loaded.id.value) is uuid.UUID
        assert loaded.version == 1
        assert loaded.events == []
        assert loaded.created_at.utcoffset() == timedelta(0)

    async def test_k05_times_round_trip_utc_aware_to_the_millisecond(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        local = timezone(timedelta(hours=5, minutes=30))
        written = datetime(2026, 5, 17, 23, 59, 58, 123987, tzinfo=local)
        user = User(
            id=UserId.new(),
            email=Email(builders.unique_email()),
            name="Grace",
            created_at=written,
            updated_at=written,
            last_active_at=written,
        )
        async with uow_factory() as uow:
            await uow.users.add(user)
            await uow.commit()
        async with uow_factory() as uow:
            loaded = await uow.users.get(user.id)
        expected = datetime(2026, 5, 17, 18, 29, 58, 123000, tzinfo=UTC)
        for value in (loaded.created_at, loaded.updated_at, loaded.last_active_at):
            assert value == expected
            assert value is not None
            assert value.utcoffset() == timedelta(0)

    async def test_k12_email_lookup_ignores_case_and_surrounding_space(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        user = await add_user(uow_factory, clock, email="Mixed.Case@Example.COM")
        await add_user(uow_factory, clock, email="someone.else@example.com")
        async with uow_factory() as uow:
            found = await uow.users.get_by_email("  mixed.case@EXAMPLE.com ")
        assert found.id == user.id
        assert found.email.value == "Mixed.Case@Example.COM"  # stored as given (trimmed), compared lower-cased

    async def test_get_by_email_of_unknown_address_is_not_found(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        await add_user(uow_factory, clock)
        async with uow_factory() as uow:
            with pytest.raises(NotFound):
                await uow.users.get_by_email("nobody@example.com")

    @pytest.mark.parametrize("raw", ["not-an-email", "a@b", "", "two@@example.com", "sp ace@example.com"])
    async def test_get_by_email_of_malformed_address_is_invalid_email(
        self, uow_factory: UnitOfWorkFactory, raw: str
    ) -> None:
        async with uow_factory() as uow:
            with pytest.raises(InvalidInput) as caught:
                await uow.users.get_by_email(raw)
        assert caught.value.field == "email"

    async def test_k12_duplicate_email_in_other_case_raises_duplicate_email(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        first = await add_user(uow_factory, clock, email="taken@example.com")
        uow = uow_factory()
        with pytest.raises(DuplicateEmail):
            async with uow:
                await uow.users.add(builders.user(clock, email="TAKEN@Example.com"))
                await uow.commit()
        assert uow.state == "rolled_back"
        assert [u.id for u in await all_users(uow_factory)] == [first.id]

    async def test_k04_after_a_duplicate_email_the_next_unit_of_work_commits(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        await add_user(uow_factory, clock, email="dup@example.com")
        with pytest.raises(DuplicateEmail) as caught:
            async with uow_factory() as uow:
                await uow.users.add(builders.user(clock, email="Dup@example.com"))
                await uow.commit()
        assert isinstance(caught.value, AlreadyExists)
        later = await add_user(uow_factory, clock, email="fresh@example.com")
        async with uow_factory() as uow:
            assert (await uow.users.get_by_email("fresh@example.com")).id == later.id
        assert len(await all_users(uow_factory)) == 2

    async def test_k04_of_two_concurrent_registrations_with_one_address_exactly_one_wins(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        candidates = [builders.user(clock, email="race@example.com"), builders.user(clock, email="RACE@example.com")]

        async def register(user: User) -> None:
            async with uow_factory() as uow:
                await uow.users.add(user)
                await uow.commit()

        outcomes = await asyncio.gather(*(register(u) for u in candidates), return_exceptions=True)
        winners = [u for u, outcome in zip(candidates, outcomes, strict=True) if outcome is None]
        assert len(winners) == 1, outcomes
        assert sum(isinstance(o, DuplicateEmail) for o in outcomes) == 1, outcomes
        async with uow_factory() as uow:
            assert (await uow.users.get_by_email("Race@Example.com")).id == winners[0].id
        assert len(await all_users(uow_factory)) == 1

    async def test_add_with_a_taken_id_is_already_exists(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        first = await add_user(uow_factory, clock)
        twin = builders.user(clock)
        twin.id = first.id
        with pytest.raises(AlreadyExists):
            async with uow_factory() as uow:
                await uow.users.add(twin)
                await uow.commit()
        async with uow_factory() as uow:
            assert (await uow.users.get(first.id)).email == first.email

    async def test_a_taken_legacy_id_is_already_exists(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        first = await add_user(uow_factory, clock, legacy_id="imported-42")
        with pytest.raises(AlreadyExists) as caught:
            await add_user(uow_factory, clock, legacy_id="imported-42")
        assert not isinstance(caught.value, DuplicateEmail)
        async with uow_factory() as uow:
            assert (await uow.users.get_by_legacy_id("imported-42")).id == first.id
        assert len(await all_users(uow_factory)) == 1

    async def test_get_by_legacy_id(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        user = await add_user(uow_factory, clock, legacy_id="mongo-65f0c0ffee")
        await add_user(uow_factory, clock, legacy_id="other")
        async with uow_factory() as uow:
            assert (await uow.users.get_by_legacy_id("mongo-65f0c0ffee")).id == user.id
            with pytest.raises(NotFound):
                await uow.users.get_by_legacy_id("missing")

    async def test_get_of_unknown_id_is_not_found(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        await add_user(uow_factory, clock)
        async with uow_factory() as uow:
            with pytest.raises(NotFound):
                await uow.users.get(UserId.new())

    async def test_save_writes_changes_and_increments_the_version(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        user = await add_user(uow_factory, clock)
        async with uow_factory() as uow:
            loaded = await uow.users.get(user.id)
            loaded.update_profile(clock=clock, name="Countess", timezone="Europe/London")
            loaded.update_onboarding(
                clock=clock, phase=OnboardingPhase.GETTING_STARTED, preferences=Preferences(profession="Mathematician")
            )
            await uow.users.save(loaded)
            assert loaded.version == 2
            await uow.commit()
        async with uow_factory() as uow:
            again = await uow.users.get(user.id)
        assert again == loaded
        assert (again.name, again.timezone, again.version) == ("Countess", "Europe/London", 2)
        assert again.onboarding.preferences.profession == "Mathematician"
        assert again.onboarding.phase is OnboardingPhase.GETTING_STARTED

    async def test_save_with_a_stale_version_is_a_concurrency_conflict(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        user = await add_user(uow_factory, clock)
        async with uow_factory() as uow:
            stale = await uow.users.get(user.id)
        async with uow_factory() as uow:
            fresh = await uow.users.get(user.id)
            fresh.update_profile(clock=clock, name="First Writer")
            await uow.users.save(fresh)
            await uow.commit()
        stale.update_profile(clock=clock, name="Second Writer")
        with pytest.raises(ConcurrencyConflict):
            async with uow_factory() as uow:
                await uow.users.save(stale)
                await uow.commit()
        async with uow_factory() as uow:
            stored = await uow.users.get(user.id)
        assert (stored.name, stored.version) == ("First Writer", 2)

    async def test_of_two_concurrent_saves_from_one_version_exactly_one_commits(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        user = await add_user(uow_factory, clock)
        both_loaded = asyncio.Barrier(2)  # a real database answers in its own time: make both read first

        async def rename(name: str) -> None:
            async with uow_factory() as uow:
                loaded = await uow.users.get(user.id)
                loaded.update_profile(clock=clock, name=name)
                await both_loaded.wait()
                await uow.users.save(loaded)
                await uow.commit()

        outcomes = await asyncio.gather(rename("A"), rename("B"), return_exceptions=True)
        assert sorted(type(o).__name__ for o in outcomes) == ["ConcurrencyConflict", "NoneType"], outcomes
        async with uow_factory() as uow:
            stored = await uow.users.get(user.id)
        winner = "A" if outcomes[0] is None else "B"
        assert (stored.name, stored.version) == (winner, 2)

    async def test_save_of_a_deleted_user_is_not_found(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        user = await add_user(uow_factory, clock)
        async with uow_factory() as uow:
            await uow.users.delete(user.id)
            await uow.commit()
        with pytest.raises(NotFound):
            async with uow_factory() as uow:
                await uow.users.save(user)

    async def test_save_to_an_email_taken_in_other_case_is_duplicate_email(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        await add_user(uow_factory, clock, email="first@example.com")
        second = await add_user(uow_factory, clock, email="second@example.com")
        with pytest.raises(DuplicateEmail):
            async with uow_factory() as uow:
                loaded = await uow.users.get(second.id)
                loaded.email = Email("FIRST@example.com")
                await uow.users.save(loaded)
                await uow.commit()
        async with uow_factory() as uow:
            assert (await uow.users.get(second.id)).email.value == "second@example.com"

    async def test_delete_removes_the_user_and_a_second_delete_is_not_found(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        gone = await add_user(uow_factory, clock)
        kept = await add_user(uow_factory, clock)
        async with uow_factory() as uow:
            await uow.users.delete(gone.id)
            await uow.commit()
        async with uow_factory() as uow:
            with pytest.raises(NotFound):
                await uow.users.get(gone.id)
            with pytest.raises(NotFound):
                await uow.users.get_by_email(gone.email.value)
            with pytest.raises(NotFound):
                await uow.users.delete(gone.id)
        assert [u.id for u in await all_users(uow_factory)] == [kept.id]

    async def test_k12_list_orders_by_id_ascending_and_pages_end_exactly(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        users = [builders.user(clock) for _ in range(6)]
        async with uow_factory() as uow:
            for user in reversed(users):
                await uow.users.add(user)
            await uow.commit()
        expected = sorted(u.id for u in users)
        async with uow_factory() as uow:
            first = await uow.users.list(limit=3)
            second = await uow.users.list(limit=3, cursor=first.next_cursor)
            everything = await uow.users.list(limit=200)
        assert [u.id for u in first.items] == expected[:3]
        assert [u.id for u in second.items] == expected[3:]
        assert first.next_cursor is not None
        assert second.next_cursor is None  # no empty trailing page
        assert [u.id for u in everything.items] == expected
        assert everything.next_cursor is None

    async def test_k09_walking_user_pages_while_inserting_returns_each_existing_user_once(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        existing = [await add_user(uow_factory, clock) for _ in range(7)]

        async def insert_one() -> None:
            await add_user(uow_factory, clock)

        async with uow_factory() as uow:
            seen = await walk(lambda c: uow.users.list(limit=2, cursor=c), insert_one)
        ids = [u.id for u in seen]
        assert len(ids) == len(set(ids))
        assert ids == sorted(ids)
        assert {u.id for u in existing} <= set(ids)

    @pytest.mark.parametrize("limit", [0, -1, 201])
    async def test_list_rejects_a_page_size_out_of_range(self, uow_factory: UnitOfWorkFactory, limit: int) -> None:
        async with uow_factory() as uow:
            with pytest.raises(InvalidInput) as caught:
                await uow.users.list(limit=limit)
        assert caught.value.field == "limit"

    @pytest.mark.parametrize(
        "cursor",
        [
            "garbage",
            "",
            encode_cursor("goals", {"t": "2026-01-01T00:00:00+00:00", "id": str(uuid.uuid4())}),
            encode_cursor("users", {"id": "not-a-uuid"}),
            encode_cursor("users", {"id": str(uuid.uuid4())})[:-3] + "AAA",
        ],
    )
    async def test_list_rejects_a_malformed_or_foreign_cursor(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, cursor: str
    ) -> None:
        await add_user(uow_factory, clock)
        async with uow_factory() as uow:
            with pytest.raises(InvalidInput) as caught:
                await uow.users.list(cursor=cursor)
        assert caught.value.field == "cursor"
