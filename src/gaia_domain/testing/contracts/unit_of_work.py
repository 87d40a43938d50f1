"""The UnitOfWork contract: explicit state, real rollback, savepoints, cancellation, events to the outbox."""

from __future__ import annotations

import asyncio

import pytest

from gaia_domain.clock import Clock
from gaia_domain.errors import NotFound, UnitOfWorkError
from gaia_domain.events import GoalCreated, OnboardingCompleted, UserRegistered, event_to_payload
from gaia_domain.ports import UnitOfWork, UnitOfWorkState
from gaia_domain.testing import builders
from gaia_domain.testing.contracts._base import (
    ContractBase,
    OutboxReader,
    UnitOfWorkFactory,
    add_user,
    all_users,
    state_of,
)
from gaia_domain.users import OnboardingPhase, User


class _Boom(Exception):
    pass


class UnitOfWorkContract(ContractBase):
    async def test_state_moves_from_new_to_open_to_committed(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        uow = uow_factory()
        assert state_of(uow) is UnitOfWorkState.NEW
        async with uow:
            assert state_of(uow) is UnitOfWorkState.OPEN
            await uow.users.add(builders.user(clock))
            await uow.commit()
            assert state_of(uow) is UnitOfWorkState.COMMITTED
        assert state_of(uow) is UnitOfWorkState.COMMITTED
        assert len(await all_users(uow_factory)) == 1

    async def test_leaving_without_commit_rolls_back(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        uow = uow_factory()
        async with uow:
            await uow.users.add(builders.user(clock))
        assert state_of(uow) is UnitOfWorkState.ROLLED_BACK
        assert await all_users(uow_factory) == []

    async def test_an_exception_rolls_back_and_propagates(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        kept = await add_user(uow_factory, clock)
        uow = uow_factory()
        with pytest.raises(_Boom):
            async with uow:
                await uow.users.add(builders.user(clock))
                await uow.users.delete(kept.id)
                raise _Boom
        assert state_of(uow) is UnitOfWorkState.ROLLED_BACK
        assert [u.id for u in await all_users(uow_factory)] == [kept.id]

    async def test_explicit_rollback_discards_the_work(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        uow = uow_factory()
        async with uow:
            await uow.users.add(builders.user(clock))
            await uow.rollback()
            assert state_of(uow) is UnitOfWorkState.ROLLED_BACK
        assert await all_users(uow_factory) == []

    async def test_a_closed_unit_of_work_refuses_reentry_and_operations(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        fresh = uow_factory()
        with pytest.raises(UnitOfWorkError):
            await fresh.users.add(builders.user(clock))  # not opened yet
        with pytest.raises(UnitOfWorkError):
            await fresh.commit()
        for finish_with_commit in (True, False):
            uow = uow_factory()
            async with uow:
                if finish_with_commit:
                    await uow.commit()
            with pytest.raises(UnitOfWorkError):
                async with uow:
                    pass
            with pytest.raises(UnitOfWorkError):
                await uow.users.add(builders.user(clock))
            with pytest.raises(UnitOfWorkError):
                await uow.commit()
        assert await all_users(uow_factory) == []

    async def test_uncommitted_work_is_invisible_to_other_units_of_work_until_commit(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        user = builders.user(clock)
        async with uow_factory() as writer, uow_factory() as reader:
            await writer.users.add(user)
            with pytest.raises(NotFound):
                await reader.users.get(user.id)
            await writer.commit()
            assert (await reader.users.get(user.id)).id == user.id  # READ COMMITTED

    async def test_savepoint_released_by_inner_commit_is_kept(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        outer_user, inner_user = builders.user(clock), builders.user(clock)
        async with uow_factory() as uow:
            await uow.users.add(outer_user)
            async with uow:
                await uow.users.add(inner_user)
                await uow.commit()
            assert state_of(uow) is UnitOfWorkState.OPEN
            await uow.commit()
        assert {u.id for u in await all_users(uow_factory)} == {outer_user.id, inner_user.id}

    async def test_savepoint_left_without_commit_rolls_back_only_the_inner_work(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        outer_user, inner_user = builders.user(clock), builders.user(clock)
        async with uow_factory() as uow:
            await uow.users.add(outer_user)
            async with uow:
                await uow.users.add(inner_user)
            assert state_of(uow) is UnitOfWorkState.OPEN
            with pytest.raises(NotFound):
                await uow.users.get(inner_user.id)
            await uow.commit()
        assert [u.id for u in await all_users(uow_factory)] == [outer_user.id]
        assert [type(e) for e in uow.committed_events] == [UserRegistered]
        assert uow.committed_events[0].user_id == outer_user.id  # type: ignore[attr-defined]

    async def test_savepoint_left_by_an_exception_rolls_back_to_it_and_the_outer_work_commits(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        existing = await add_user(uow_factory, clock)
        added = builders.user(clock)
        async with uow_factory() as uow:
            await uow.users.add(added)
            with pytest.raises(_Boom):
                async with uow:
                    await uow.users.delete(existing.id)
                    await uow.users.add(builders.user(clock))
                    raise _Boom
            assert (await uow.users.get(existing.id)).id == existing.id
            await uow.commit()
        assert {u.id for u in await all_users(uow_factory)} == {existing.id, added.id}

    async def test_rollback_inside_a_savepoint_rolls_back_to_it_and_keeps_the_outer_work(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        outer_user, inner_user = builders.user(clock), builders.user(clock)
        async with uow_factory() as uow:
            await uow.users.add(outer_user)
            async with uow:
                await uow.users.add(inner_user)
                await uow.rollback()
                assert state_of(uow) is UnitOfWorkState.OPEN
            await uow.commit()
        assert [u.id for u in await all_users(uow_factory)] == [outer_user.id]

    async def test_events_are_written_to_the_outbox_at_commit(
        self, uow_factory: UnitOfWorkFactory, read_outbox: OutboxReader, clock: Clock
    ) -> None:
        user = builders.user(clock)
        goal = builders.goal(clock, user.id)
        raised = [*user.events, *goal.events]
        async with uow_factory() as uow:
            await uow.users.add(user)
            await uow.goals.add(goal)
            assert await read_outbox() == []  # nothing visible before commit
            await uow.commit()
        assert [type(e) for e in raised] == [UserRegistered, GoalCreated]
        assert list(uow.committed_events) == raised
        assert user.events == []  # taken off the aggregates
        assert goal.events == []
        stored = await read_outbox()
        assert [(s.event_id, s.type_name, s.payload) for s in stored] == [
            (e.event_id, e.type_name, event_to_payload(e)) for e in raised
        ]

    async def test_a_rolled_back_unit_of_work_writes_no_events(
        self, uow_factory: UnitOfWorkFactory, read_outbox: OutboxReader, clock: Clock
    ) -> None:
        user = builders.user(clock)
        async with uow_factory() as uow:
            await uow.users.add(user)
        assert list(uow.committed_events) == []
        assert len(user.events) == 1  # still pending on the aggregate
        assert await read_outbox() == []

    async def test_events_of_loaded_aggregates_are_collected_but_not_of_listed_ones(
        self, uow_factory: UnitOfWorkFactory, read_outbox: OutboxReader, clock: Clock
    ) -> None:
        user = await add_user(uow_factory, clock)
        before = len(await read_outbox())
        async with uow_factory() as uow:
            loaded = await uow.users.get(user.id)
            loaded.update_onboarding(clock=clock, phase=OnboardingPhase.COMPLETED)
            await uow.users.save(loaded)
            listed = (await uow.users.list()).items[0]
            listed.mark_deleted(clock)  # an aggregate from list is not tracked
            await uow.commit()
        assert [type(e) for e in uow.committed_events] == [OnboardingCompleted]
        assert [s.type_name for s in (await read_outbox())[before:]] == ["OnboardingCompleted"]

    async def test_k03_cancelling_a_unit_of_work_at_any_step_stores_nothing_and_the_next_one_commits(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        async def work(uow: UnitOfWork, user: User, goal_owner: User) -> None:
            async with uow:
                await uow.users.add(user)
                await uow.users.add(goal_owner)
                await uow.goals.add(builders.goal(clock, goal_owner.id))
                await uow.users.get(user.id)
                await uow.commit()

        # A real driver needs many event-loop turns per statement (it waits for the server): count the turns
        # one whole unit of work takes on this adapter, then cancel at points spread over that range.
        probe = asyncio.create_task(work(uow_factory(), builders.user(clock), builders.user(clock)))
        turns = 0
        while not probe.done():
            await asyncio.sleep(0)
            turns += 1
        await probe
        rolled_back = 0
        # None: cancel as soon as the transaction is open (so at least one cancellation lands inside it).
        points: list[int | None] = [*sorted({max(turns, 12) * k // 12 for k in range(12)}), None]
        for steps in points:
            uow = uow_factory()
            user, goal_owner = builders.user(clock), builders.user(clock)
            task = asyncio.create_task(work(uow, user, goal_owner))
            if steps is None:
                while state_of(uow) is UnitOfWorkState.NEW and not task.done():  # noqa: ASYNC110 - polls the state
                    await asyncio.sleep(0)
            for _ in range(steps or 0):
                await asyncio.sleep(0)
            task.cancel()
            try:
                await task
                cancelled = False
            except asyncio.CancelledError:
                cancelled = True
            assert state_of(uow) is not UnitOfWorkState.OPEN, steps
            stored = {u.id for u in await all_users(uow_factory)}
            if state_of(uow) is not UnitOfWorkState.COMMITTED:  # NEW: cancelled before it started
                assert cancelled
                rolled_back += state_of(uow) is UnitOfWorkState.ROLLED_BACK
                assert user.id not in stored, steps
                assert goal_owner.id not in stored, steps
            else:
                assert {user.id, goal_owner.id} <= stored, steps
            after = await add_user(uow_factory, clock)  # the next unit of work commits for real
            assert after.id in {u.id for u in await all_users(uow_factory)}
        assert rolled_back > 0, "no cancellation reached an open unit of work"
