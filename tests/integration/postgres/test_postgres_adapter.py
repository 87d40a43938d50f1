"""PostgreSQL-specific behaviour of the repositories and the unit of work (K01, K04, K10, error mapping)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gaia_adapters.postgres.engine import create_engine
from gaia_adapters.postgres.unit_of_work import PostgresUnitOfWork
from gaia_adapters.settings import GaiaSettings
from gaia_domain.clock import Clock, TickingClock
from gaia_domain.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    DuplicateEmail,
    NotFound,
    StoreUnavailable,
    UnitOfWorkError,
)
from gaia_domain.goals import Goal
from gaia_domain.ports import UnitOfWorkState
from gaia_domain.testing import builders
from gaia_domain.users import Email, OnboardingPhase, Preferences, User

pytestmark = pytest.mark.integration

Fetch = Callable[..., Awaitable[list[Any]]]
Idle = Callable[[], Awaitable[list[str]]]


@pytest.fixture
def clock() -> Clock:
    return TickingClock(datetime(2026, 5, 1, 8, 30, 0, 123000, tzinfo=UTC), step=timedelta(milliseconds=3))


async def _add(engine: AsyncEngine, *aggregates: User | Goal) -> None:
    async with PostgresUnitOfWork(engine) as uow:
        for aggregate in aggregates:
            if isinstance(aggregate, User):
                await uow.users.add(aggregate)
            else:
                await uow.goals.add(aggregate)
        await uow.commit()


async def test_k01_entities_are_plain_objects_readable_after_the_unit_of_work_and_the_engine_are_gone(
    pg_url: str, pg_clean: None, clock: Clock
) -> None:
    engine = create_engine(GaiaSettings(postgres_url=pg_url))
    user = builders.user(clock, legacy_id="legacy-1")
    user.update_onboarding(clock=clock, phase=OnboardingPhase.COMPLETED, preferences=Preferences(profession="Poet"))
    user.touch(clock)
    goal = builders.goal(clock, user.id)
    await _add(engine, user, goal)
    async with PostgresUnitOfWork(engine) as uow:
        loaded = await uow.users.get(user.id)
        loaded_goal = await uow.goals.get(user.id, goal.id)
        page = await uow.goals.list(user.id)
    await engine.dispose()  # no connection left: any lazy load would fail now
    assert loaded == user
    assert loaded_goal == goal
    assert page.items == (goal,)
    assert type(loaded.id.value) is uuid.UUID
    assert type(loaded_goal.id.value) is uuid.UUID
    assert type(loaded_goal.user_id.value) is uuid.UUID
    for moment in (loaded.created_at, loaded.updated_at, loaded.last_active_at, loaded.onboarding.completed_at):
        assert moment is not None
        assert moment.utcoffset() == timedelta(0)
    assert loaded.created_at == user.created_at  # millisecond precision round-trips exactly
    assert loaded.onboarding.preferences.profession == "Poet"
    assert [n.id for n in loaded_goal.roadmap.nodes] == ["n1", "n2", "n3"]
    assert loaded_goal.progress == 0
    assert not hasattr(loaded, "_sa_instance_state")


async def test_k04_two_concurrent_registrations_in_different_case_exactly_one_wins(
    pg_engine: AsyncEngine, pg_fetch: Fetch, pg_clean: None, clock: Clock
) -> None:
    for round_ in range(5):
        first = builders.user(clock, email=f"race{round_}@example.com")
        second = builders.user(clock, email=f"  RACE{round_}@Example.COM ")
        gate = asyncio.Barrier(2)

        async def register(user: User, gate: asyncio.Barrier = gate) -> None:
            async with PostgresUnitOfWork(pg_engine) as uow:
                await gate.wait()
                await uow.users.add(user)
                await uow.commit()

        outcomes = await asyncio.gather(register(first), register(second), return_exceptions=True)
        assert sorted(type(o).__name__ for o in outcomes) == ["DuplicateEmail", "NoneType"], outcomes
        rows = await pg_fetch(
            "SELECT email_normalized FROM users WHERE email_normalized = $1", f"race{round_}@example.com"
        )
        assert len(rows) == 1
    # the repository is usable afterwards
    later = builders.user(clock)
    await _add(pg_engine, later)
    assert await pg_fetch("SELECT 1 FROM users WHERE id = $1", later.id.value)


async def test_k04_a_duplicate_on_add_leaves_the_unit_of_work_usable(
    pg_engine: AsyncEngine, pg_fetch: Fetch, pg_clean: None, clock: Clock
) -> None:
    taken = builders.user(clock, email="taken@example.com")
    await _add(pg_engine, taken)
    other = builders.user(clock)
    async with PostgresUnitOfWork(pg_engine) as uow:
        with pytest.raises(DuplicateEmail) as raised:
            await uow.users.add(builders.user(clock, email="TAKEN@example.com"))
        assert raised.value.email == "TAKEN@example.com"
        await uow.users.add(other)  # the transaction was not aborted
        await uow.commit()
    assert await pg_fetch("SELECT 1 FROM users WHERE id = $1", other.id.value)


async def test_k04_a_duplicate_email_on_save_keeps_the_driver_error_as_cause_and_the_transaction_usable(
    pg_engine: AsyncEngine, pg_fetch: Fetch, pg_clean: None, clock: Clock
) -> None:
    first, second = builders.user(clock, email="first@example.com"), builders.user(clock)
    await _add(pg_engine, first, second)
    async with PostgresUnitOfWork(pg_engine) as uow:
        loaded = await uow.users.get(second.id)
        loaded.email = Email("First@Example.com")
        with pytest.raises(DuplicateEmail) as raised:
            await uow.users.save(loaded)
        assert isinstance(raised.value.__cause__, asyncpg.UniqueViolationError)
        assert loaded.version == 1
        renamed = await uow.users.get(second.id)
        renamed.update_profile(clock=clock, name="Still Works")
        await uow.users.save(renamed)
        await uow.commit()
    rows = await pg_fetch("SELECT name, email FROM users WHERE id = $1", second.id.value)
    assert [(r[0], r[1]) for r in rows] == [("Still Works", second.email.value)]


async def test_legacy_ids_are_unique(pg_engine: AsyncEngine, pg_clean: None, clock: Clock) -> None:
    await _add(pg_engine, builders.user(clock, legacy_id="L-1"))
    async with PostgresUnitOfWork(pg_engine) as uow:
        with pytest.raises(AlreadyExists):
            await uow.users.add(builders.user(clock, legacy_id="L-1"))
        found = await uow.users.get_by_legacy_id("L-1")
        assert found.legacy_id == "L-1"
        with pytest.raises(NotFound):
            await uow.users.get_by_legacy_id("nul\x00inside")


async def test_a_deadlock_is_a_concurrency_conflict_with_the_driver_error_as_cause(
    pg_engine: AsyncEngine, pg_clean: None, clock: Clock
) -> None:
    a, b = builders.user(clock), builders.user(clock)
    await _add(pg_engine, a, b)
    both_hold_one = asyncio.Barrier(2)

    async def update(first: User, second: User) -> None:
        async with PostgresUnitOfWork(pg_engine) as uow:
            one = await uow.users.get(first.id)
            one.touch(clock)
            await uow.users.save(one)
            await both_hold_one.wait()
            other = await uow.users.get(second.id)
            other.touch(clock)
            await uow.users.save(other)  # waits for the other unit of work: a deadlock
            await uow.commit()

    outcomes = await asyncio.gather(update(a, b), update(b, a), return_exceptions=True)
    conflicts = [o for o in outcomes if isinstance(o, ConcurrencyConflict)]
    assert len(conflicts) == 1, outcomes
    assert outcomes.count(None) == 1, outcomes
    assert isinstance(conflicts[0].__cause__, asyncpg.DeadlockDetectedError)


async def test_after_a_database_error_the_transaction_only_rolls_back(
    pg_engine: AsyncEngine, pg_idle_in_transaction: Idle, pg_clean: None, clock: Clock
) -> None:
    user = builders.user(clock)
    uow = PostgresUnitOfWork(pg_engine)
    async with uow:
        await uow.users.add(user)
        with pytest.raises(asyncpg.DivisionByZeroError):
            await uow.connection().execute("SELECT 1 / 0")
        # the repositories see the failure through their own error mapping
        uow.failed(asyncpg.DivisionByZeroError("division by zero"), "user", user.id.value)
        with pytest.raises(UnitOfWorkError):
            await uow.users.get(user.id)
        with pytest.raises(UnitOfWorkError):
            await uow.commit()
    assert uow.state is UnitOfWorkState.ROLLED_BACK
    assert pg_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert await pg_idle_in_transaction() == []


async def test_a_failed_statement_inside_a_savepoint_is_undone_by_leaving_the_nested_block(
    pg_engine: AsyncEngine, pg_fetch: Fetch, pg_clean: None, clock: Clock
) -> None:
    kept = builders.user(clock)
    uow = PostgresUnitOfWork(pg_engine)
    async with uow:
        await uow.users.add(kept)
        with pytest.raises(StoreUnavailable):
            async with uow:
                await uow.run(uow.connection().execute("SELECT 1 / 0"), "test", "division")
        await uow.users.get(kept.id)  # usable again after ROLLBACK TO SAVEPOINT
        await uow.commit()
    assert await pg_fetch("SELECT 1 FROM users WHERE id = $1", kept.id.value)


async def test_a_connection_killed_mid_transaction_is_store_unavailable_and_discarded(
    pg_engine: AsyncEngine, pg_url: str, pg_fetch: Fetch, pg_clean: None, clock: Clock
) -> None:
    user = builders.user(clock)

    async def work() -> None:
        async with PostgresUnitOfWork(pg_engine) as uow:
            await uow.users.add(user)
            pid = await uow.connection().fetchval("SELECT pg_backend_pid()")
            await pg_fetch("SELECT pg_terminate_backend($1)", pid)
            await uow.users.get(user.id)

    with pytest.raises(StoreUnavailable) as raised:
        await work()
    assert raised.value.__cause__ is not None
    assert pg_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert not await pg_fetch("SELECT 1 FROM users WHERE id = $1", user.id.value)
    await _add(pg_engine, builders.user(clock))  # the pool replaced the dead connection


async def test_pooled_connections_killed_while_idle_are_replaced_without_an_error(
    pg_engine: AsyncEngine, pg_fetch: Fetch, pg_clean: None, clock: Clock
) -> None:
    await asyncio.gather(*(_add(pg_engine, builders.user(clock)) for _ in range(3)))  # several pooled connections
    await pg_fetch(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
    )
    for _ in range(6):
        await _add(pg_engine, builders.user(clock))
    assert len(await pg_fetch("SELECT 1 FROM users")) == 9


async def test_outbox_rows_carry_the_relay_columns(
    pg_engine: AsyncEngine, pg_fetch: Fetch, pg_clean: None, clock: Clock
) -> None:
    user = builders.user(clock)
    async with PostgresUnitOfWork(pg_engine) as uow:
        await uow.users.add(user)
        await uow.outbox.add(list(user.events))  # written twice: the second copy is skipped
        await uow.commit()
    rows = await pg_fetch("SELECT event_type, status, attempts, dispatched_at, payload->>'email' FROM outbox")
    assert [tuple(r) for r in rows] == [("UserRegistered", "pending", 0, None, user.email.value)]


async def test_goals_keyset_uses_the_index(
    pg_engine: AsyncEngine, pg_fetch: Fetch, pg_clean: None, clock: Clock
) -> None:
    owner = builders.user(clock)
    await _add(pg_engine, owner, *(builders.goal(clock, owner.id) for _ in range(30)))
    await pg_fetch("ANALYZE goals")
    plan = await pg_fetch(
        "EXPLAIN SELECT id FROM goals WHERE user_id = $1 AND (created_at, id) < ($2, $3) "
        "ORDER BY created_at DESC, id DESC LIMIT 5",
        owner.id.value,
        datetime.now(UTC),
        uuid.uuid4(),
    )
    text = "\n".join(r[0] for r in plan)
    assert "ix_goals_user_id_created_at_id" in text, text
    assert "Sort" not in text, text
