"""`gaia-db migrate --postgres-url URL` on an empty database, twice, then `gaia-db demo` on it (issue 3)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def empty_db_url(pg_server_url: str) -> AsyncIterator[str]:
    name = f"gaia_cli_{uuid.uuid4().hex[:12]}"
    admin_url = make_url(pg_server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _gaia_db(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gaia_adapters.cli", *args], capture_output=True, text=True, timeout=300, check=False
    )


async def test_migrate_twice_then_the_demo_on_postgresql(empty_db_url: str) -> None:
    first = _gaia_db("migrate", "--postgres-url", empty_db_url)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "applied now: 0001, 0002" in first.stdout
    second = _gaia_db("migrate", "--postgres-url", empty_db_url)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "nothing to apply" in second.stdout
    demo = _gaia_db("demo", "--postgres-url", empty_db_url)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    conn = await asyncpg.connect(empty_db_url)
    try:
        users = await conn.fetchval("SELECT count(*) FROM users")
        goals = await conn.fetchval("SELECT count(*) FROM goals")
        stuck = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%'"
        )
    finally:
        await conn.close()
    assert users >= 1
    assert goals >= 1
    assert stuck == 0


def test_a_database_that_does_not_exist_is_named_with_what_to_do(pg_server_url: str) -> None:
    missing = make_url(pg_server_url).set(database=f"gaia_missing_{uuid.uuid4().hex[:8]}")
    demo = _gaia_db("demo", "--postgres-url", missing.render_as_string(hide_password=False))
    assert demo.returncode == 1, demo.stdout + demo.stderr
    assert demo.stderr.strip() == (
        f'error: postgresql unavailable: 3D000: database "{missing.database}" does not exist '
        "(create it first: createdb, then gaia-db migrate)"
    )
    assert "Users" not in demo.stdout
