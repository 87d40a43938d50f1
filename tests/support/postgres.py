"""Pytest plugin: a PostgreSQL database for the integration tests, migrated, emptied before each test.

Finds the server at ``GAIA_TEST_POSTGRES_URL`` or ``postgresql://postgres@127.0.0.1:5432/postgres``; when the
local server is down and installed, starts it (``pg_ctlcluster ... main start``). Creates one uniquely named
database per test run, migrates it with the shipped Alembic migrations, and drops it at the end (after
terminating leftover sessions). With ``GAIA_REQUIRE_SERVICES=1`` an unreachable server fails the run;
otherwise the tests that need it are skipped.

Register with ``pytest_plugins = ["support.postgres"]`` (tests/ is on ``pythonpath``).

Fixtures:

* ``pg_server_url`` (session): the maintenance database URL of a reachable server.
* ``pg_url`` (session): the migrated test database (plain ``postgresql://`` URL).
* ``pg_engine`` (session): the adapter's ``AsyncEngine`` on it; at the end of the run it checks that no
  connection is checked out and no session of ours sits "idle in transaction", then disposes the engine.
* ``pg_clean`` (function): empties every table before the test; after it, asserts no connection leaked.
* ``pg_fetch`` (function): ``await pg_fetch(sql, *args)`` on a fresh, independent connection (not the pool).
* ``pg_idle_in_transaction`` (function): ``await pg_idle_in_transaction()`` lists our sessions idle in a transaction.
* ``pg_uow_factory`` / ``uow_factory`` (function): ``PostgresUnitOfWork`` over an empty database.
* ``pg_read_outbox`` / ``read_outbox`` (function): the committed outbox rows, oldest first.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from gaia_adapters.postgres.engine import create_engine
from gaia_adapters.postgres.migrate import upgrade_to_head
from gaia_adapters.postgres.unit_of_work import PostgresUnitOfWork
from gaia_adapters.settings import GaiaSettings, mask_url
from gaia_domain.ids import EventId
from gaia_domain.ports import UnitOfWork
from gaia_domain.testing.contracts import StoredEvent

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
_START_TIMEOUT = 30.0
TABLES = ("outbox", "goals", "users")

Fetch = Callable[..., Awaitable[list[Any]]]


def services_required() -> bool:
    return os.environ.get("GAIA_REQUIRE_SERVICES", "") not in ("", "0", "false", "no")


def unavailable(reason: str) -> None:
    """Fail under GAIA_REQUIRE_SERVICES=1, skip otherwise."""
    if services_required():
        pytest.fail(f"PostgreSQL required but unavailable: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL unavailable: {reason}")


def driver_url(url: str, database: str | None = None) -> str:
    """A plain ``postgresql://`` URL for asyncpg (any SQLAlchemy driver suffix dropped), optionally another db."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _reason_unreachable(url: str) -> str | None:
    try:
        conn = await asyncpg.connect(driver_url(url), timeout=5)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
        return mask_url(f"{type(exc).__name__}: {exc}")[:300]
    await conn.close()
    return None


def _start_local_server() -> str:
    """Start the installed cluster (DESIGN.md: the servers the tests use); return what happened."""
    clusters = Path("/etc/postgresql")
    ctl = shutil.which("pg_ctlcluster")
    if not clusters.is_dir() or ctl is None:
        return "not installed here (no /etc/postgresql or pg_ctlcluster)"
    versions = sorted(p.name for p in clusters.iterdir() if p.is_dir())
    if not versions:
        return "no cluster under /etc/postgresql"
    done = subprocess.run(
        [ctl, "--skip-systemctl-redirect", versions[-1], "main", "start"],
        capture_output=True,
        text=True,
        timeout=_START_TIMEOUT,
        check=False,
    )
    return f"pg_ctlcluster exited {done.returncode}: {(done.stderr or done.stdout).strip()[:200]}"


@pytest_asyncio.fixture(scope="session")
async def pg_server_url() -> str:
    url = os.environ.get("GAIA_TEST_POSTGRES_URL") or DEFAULT_SERVER_URL
    reason = await _reason_unreachable(url)
    if reason is not None and url == DEFAULT_SERVER_URL:
        started = await asyncio.to_thread(_start_local_server)
        deadline = asyncio.get_running_loop().time() + _START_TIMEOUT
        while reason is not None and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.5)
            reason = await _reason_unreachable(url)
        if reason is not None:
            reason = f"{reason}; tried to start it: {started}"
    if reason is not None:
        unavailable(f"{mask_url(url)}: {reason}")
    return url


@pytest_asyncio.fixture(scope="session")
async def pg_url(pg_server_url: str) -> AsyncIterator[str]:
    name = f"gaia_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(driver_url(pg_server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = driver_url(pg_server_url, name)
    try:
        await upgrade_to_head(url)
        yield url
    finally:
        admin = await asyncpg.connect(driver_url(pg_server_url))
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        finally:
            await admin.close()


async def idle_in_transaction(url: str) -> list[str]:
    """Sessions on the database of ``url`` left inside a transaction (seen from an independent connection)."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT pid, state, left(query, 80) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
        )
    finally:
        await conn.close()
    return [f"pid {r[0]} {r[1]}: {r[2]}" for r in rows]


@pytest_asyncio.fixture(scope="session")
async def pg_engine(pg_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(GaiaSettings(postgres_url=pg_url, pg_pool_size=5, pg_max_overflow=5))
    try:
        yield engine
        leaked = engine.pool.checkedout()  # type: ignore[attr-defined]
        stuck = await idle_in_transaction(pg_url)
        assert leaked == 0, f"{leaked} connection(s) still checked out after the run"
        assert not stuck, f"sessions idle in transaction after the run: {stuck}"
    finally:
        await engine.dispose()


@pytest_asyncio.fixture
async def pg_clean(pg_engine: AsyncEngine, pg_url: str) -> AsyncIterator[None]:
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()
    yield
    leaked = pg_engine.pool.checkedout()  # type: ignore[attr-defined]
    assert leaked == 0, f"the test left {leaked} connection(s) checked out"


@pytest_asyncio.fixture
async def pg_fetch(pg_url: str) -> Fetch:
    async def fetch(query: str, *args: Any) -> list[Any]:
        conn = await asyncpg.connect(pg_url)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    return fetch


@pytest.fixture
def pg_idle_in_transaction(pg_url: str) -> Callable[[], Awaitable[list[str]]]:
    return lambda: idle_in_transaction(pg_url)


@pytest.fixture
def pg_uow_factory(pg_engine: AsyncEngine, pg_clean: None) -> Callable[[], UnitOfWork]:
    return lambda: PostgresUnitOfWork(pg_engine)


@pytest.fixture
def uow_factory(pg_uow_factory: Callable[[], UnitOfWork]) -> Callable[[], UnitOfWork]:
    return pg_uow_factory


@pytest.fixture
def pg_read_outbox(pg_fetch: Fetch, pg_clean: None) -> Callable[[], Awaitable[Sequence[StoredEvent]]]:
    async def read() -> Sequence[StoredEvent]:
        rows = await pg_fetch("SELECT event_id, event_type, payload FROM outbox ORDER BY seq")
        return [StoredEvent(EventId(uuid.UUID(str(r[0]))), r[1], json.loads(r[2])) for r in rows]

    return read


@pytest.fixture
def read_outbox(
    pg_read_outbox: Callable[[], Awaitable[Sequence[StoredEvent]]],
) -> Callable[[], Awaitable[Sequence[StoredEvent]]]:
    return pg_read_outbox
