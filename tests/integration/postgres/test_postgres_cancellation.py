"""K03 on PostgreSQL, step by step: cancel before a query, during a query, during COMMIT.

After each cancellation: ``CancelledError`` propagated, nothing of the unit of work is stored, no pooled
connection is checked out, no session of ours is "idle in transaction" (seen from an independent
connection), and the next unit of work commits for real (checked from an independent connection).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from gaia_adapters.postgres.unit_of_work import PostgresUnitOfWork
from gaia_domain.clock import Clock, TickingClock
from gaia_domain.ports import UnitOfWorkState
from gaia_domain.testing import builders
from gaia_domain.users import User

pytestmark = pytest.mark.integration

Fetch = Callable[..., Awaitable[list[Any]]]
Idle = Callable[[], Awaitable[list[str]]]

SLOW_NAME = "Slow Commit"


@pytest.fixture
def clock() -> Clock:
    return TickingClock()


async def _stored_ids(fetch: Fetch) -> set[str]:
    return {str(r[0]) for r in await fetch("SELECT id FROM users")}


async def _wait_until(condition: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(10):
        while not await condition():  # noqa: ASYNC110 - polls the server, no event to wait for
            await asyncio.sleep(0.02)


async def _assert_clean_and_usable(engine: AsyncEngine, idle: Idle, fetch: Fetch, clock: Clock) -> None:
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert await idle() == []
    after = builders.user(clock)
    async with PostgresUnitOfWork(engine) as uow:
        await uow.users.add(after)
        await uow.commit()
    assert str(after.id) in await _stored_ids(fetch)  # committed for real, seen from another connection


async def _cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def _active_query(fetch: Fetch, needle: str) -> bool:
    rows = await fetch(
        "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE $1",
        f"%{needle}%",
    )
    return bool(rows)


async def test_k03_cancel_before_a_query(
    pg_engine: AsyncEngine, pg_idle_in_transaction: Idle, pg_fetch: Fetch, pg_clean: None, clock: Clock
) -> None:
    opened, never = asyncio.Event(), asyncio.Event()
    uow = PostgresUnitOfWork(pg_engine)
    user = builders.user(clock)

    async def work() -> None:
        async with uow:
            await uow.users.add(user)
            opened.set()
            await never.wait()  # cancelled here, between two queries
            await uow.commit()

    task = asyncio.create_task(work())
    await opened.wait()
    await _cancel(task)
    assert uow.state is UnitOfWorkState.ROLLED_BACK
    assert str(user.id) not in await _stored_ids(pg_fetch)
    await _assert_clean_and_usable(pg_engine, pg_idle_in_transaction, pg_fetch, clock)


async def test_k03_cancel_while_a_query_waits_for_a_row_lock(
    pg_engine: AsyncEngine, pg_url: str, pg_idle_in_transaction: Idle, pg_fetch: Fetch, pg_clean: None, clock: Clock
) -> None:
    user = builders.user(clock)
    async with PostgresUnitOfWork(pg_engine) as uow:
        await uow.users.add(user)
        await uow.commit()
    locker = await asyncpg.connect(pg_url)
    try:
        await locker.execute("BEGIN")
        await locker.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", user.id.value)
        uow = PostgresUnitOfWork(pg_engine)

        async def work() -> None:
            async with uow:
                loaded = await uow.users.get(user.id)
                loaded.update_profile(clock=clock, name="Never Saved")
                await uow.users.save(loaded)  # blocks on the lock: cancelled during the query
                await uow.commit()

        task = asyncio.create_task(work())
        await _wait_until(lambda: _active_query(pg_fetch, "UPDATE users SET"))
        await _cancel(task)
        assert uow.state is UnitOfWorkState.ROLLED_BACK
    finally:
        await locker.execute("ROLLBACK")
        await locker.close()
    names = [r[0] for r in await pg_fetch("SELECT name FROM users WHERE id = $1", user.id.value)]
    assert names == [user.name]
    await _assert_clean_and_usable(pg_engine, pg_idle_in_transaction, pg_fetch, clock)


async def test_k03_cancel_during_pg_sleep(
    pg_engine: AsyncEngine, pg_idle_in_transaction: Idle, pg_fetch: Fetch, pg_clean: None, clock: Clock
) -> None:
    user = builders.user(clock)
    uow = PostgresUnitOfWork(pg_engine)

    async def work() -> None:
        async with uow:
            await uow.users.add(user)
            await uow.connection().execute("SELECT pg_sleep(30)")  # a long statement inside the transaction
            await uow.commit()

    task = asyncio.create_task(work())
    await _wait_until(lambda: _active_query(pg_fetch, "pg_sleep(30)"))
    await _cancel(task)
    assert uow.state is UnitOfWorkState.ROLLED_BACK
    assert str(user.id) not in await _stored_ids(pg_fetch)
    assert not await _active_query(pg_fetch, "pg_sleep(30)")  # the server stopped it too
    await _assert_clean_and_usable(pg_engine, pg_idle_in_transaction, pg_fetch, clock)


@pytest_asyncio.fixture
async def slow_commit(pg_url: str, pg_clean: None) -> AsyncIterator[str]:
    """A deferred trigger that makes COMMIT of a user named SLOW_NAME take 30 s (test-only schema object)."""
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute(
            """
            CREATE FUNCTION gaia_test_slow_commit() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$;
            CREATE CONSTRAINT TRIGGER gaia_test_slow_commit AFTER INSERT ON users
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
            WHEN (NEW.name = 'Slow Commit') EXECUTE FUNCTION gaia_test_slow_commit();
            """
        )
        yield SLOW_NAME
    finally:
        await conn.execute(
            "DROP TRIGGER IF EXISTS gaia_test_slow_commit ON users; DROP FUNCTION IF EXISTS gaia_test_slow_commit()"
        )
        await conn.close()


async def test_k03_cancel_during_commit(
    pg_engine: AsyncEngine, pg_idle_in_transaction: Idle, pg_fetch: Fetch, slow_commit: str, clock: Clock
) -> None:
    user: User = builders.user(clock, name=slow_commit)
    uow = PostgresUnitOfWork(pg_engine)

    async def work() -> None:
        async with uow:
            await uow.users.add(user)
            await uow.commit()  # the deferred trigger runs inside COMMIT

    task = asyncio.create_task(work())
    await _wait_until(lambda: _active_query(pg_fetch, "COMMIT"))
    await _cancel(task)
    assert uow.state is UnitOfWorkState.ROLLED_BACK  # the server confirmed the COMMIT did not happen
    assert uow.committed_events == ()
    assert str(user.id) not in await _stored_ids(pg_fetch)
    assert await pg_fetch("SELECT 1 FROM outbox") == []
    assert user.events, "the events stay on the aggregate when nothing was committed"
    await _assert_clean_and_usable(pg_engine, pg_idle_in_transaction, pg_fetch, clock)


async def test_k03_a_second_cancellation_during_cleanup_still_returns_the_connection(
    pg_engine: AsyncEngine, pg_idle_in_transaction: Idle, pg_fetch: Fetch, pg_clean: None, clock: Clock
) -> None:
    user = builders.user(clock)
    uow = PostgresUnitOfWork(pg_engine)

    async def work() -> None:
        async with uow:
            await uow.users.add(user)
            await uow.connection().execute("SELECT pg_sleep(30)")

    task = asyncio.create_task(work())
    await _wait_until(lambda: _active_query(pg_fetch, "pg_sleep(30)"))
    for _ in range(5):  # keep cancelling while the rollback runs
        task.cancel()
        await asyncio.sleep(0)
    with pytest.raises(asyncio.CancelledError):
        await task
    assert uow.state is UnitOfWorkState.ROLLED_BACK
    assert str(user.id) not in await _stored_ids(pg_fetch)
    await _assert_clean_and_usable(pg_engine, pg_idle_in_transaction, pg_fetch, clock)


async def test_k03_timeout_around_a_unit_of_work_becomes_timeout_error(
    pg_engine: AsyncEngine, pg_idle_in_transaction: Idle, pg_fetch: Fetch, pg_clean: None, clock: Clock
) -> None:
    user = builders.user(clock)

    async def work() -> None:
        async with asyncio.timeout(0.3), PostgresUnitOfWork(pg_engine) as uow:
            await uow.users.add(user)
            await uow.connection().execute("SELECT pg_sleep(30)")

    with pytest.raises(TimeoutError):
        await work()
    assert str(user.id) not in await _stored_ids(pg_fetch)
    await _assert_clean_and_usable(pg_engine, pg_idle_in_transaction, pg_fetch, clock)
