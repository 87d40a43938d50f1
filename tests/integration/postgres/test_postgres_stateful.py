"""The stateful machine: random operation sequences through PostgreSQL units of work, compared with the fake."""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from sqlalchemy.ext.asyncio import AsyncEngine

from gaia_adapters.memory import MemoryDatabase, MemoryUnitOfWork
from gaia_adapters.postgres.engine import create_engine
from gaia_adapters.postgres.unit_of_work import PostgresUnitOfWork
from gaia_adapters.settings import GaiaSettings
from gaia_domain.testing.contracts._base import UnitOfWorkFactory
from gaia_domain.testing.stateful import unit_of_work_machine

pytestmark = pytest.mark.integration

MACHINE_SETTINGS = settings(
    max_examples=int(os.environ.get("GAIA_STATEFUL_EXAMPLES", "25")),
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    """The machine's own loop (not pytest-asyncio's): the engine below is bound to it."""
    with asyncio.Runner() as runner:
        yield runner


@pytest.fixture(scope="module")
def engine_in_runner(runner: asyncio.Runner, pg_url: str) -> Iterator[AsyncEngine]:
    async def create() -> AsyncEngine:
        return create_engine(GaiaSettings(postgres_url=pg_url, pg_pool_size=3))

    engine = runner.run(create())
    try:
        yield engine
    finally:
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        runner.run(engine.dispose())


def test_postgres_units_of_work_match_the_fake(
    runner: asyncio.Runner, engine_in_runner: AsyncEngine, pg_url: str
) -> None:
    async def empty_tables() -> None:
        conn = await asyncpg.connect(pg_url)
        try:
            await conn.execute("TRUNCATE outbox, goals, users RESTART IDENTITY CASCADE")
        finally:
            await conn.close()

    @asynccontextmanager
    async def postgres() -> AsyncIterator[UnitOfWorkFactory]:
        await empty_tables()
        yield functools.partial(PostgresUnitOfWork, engine_in_runner)

    @asynccontextmanager
    async def memory() -> AsyncIterator[UnitOfWorkFactory]:
        database = MemoryDatabase()
        yield functools.partial(MemoryUnitOfWork, database)

    machine = unit_of_work_machine(runner, subject=postgres, reference=memory)
    run_state_machine_as_test(machine, settings=MACHINE_SETTINGS)
