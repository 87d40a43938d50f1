"""The shipped Alembic migrations: idempotent upgrade, schema == metadata, every step down and up again."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from gaia_adapters.postgres.engine import asyncpg_url
from gaia_adapters.postgres.migrate import (
    VERSION_TABLE,
    current_revision,
    downgrade_to,
    head_revision,
    pending_revisions,
    scripts,
    upgrade_to_head,
)
from gaia_adapters.postgres.tables import metadata
from gaia_domain.errors import StoreUnavailable

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def empty_db(pg_server_url: str) -> AsyncIterator[str]:
    """A database of its own (the shared test database stays migrated for the other tests)."""
    name = f"gaia_mig_{uuid.uuid4().hex[:12]}"
    admin_url = make_url(pg_server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE, "compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, metadata))


async def _schema_differences(url: str) -> list[Any]:
    sa_url, connect_args = asyncpg_url(url)
    engine = create_async_engine(sa_url, poolclass=NullPool, connect_args=connect_args)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_differences)
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {r[0] for r in rows}


def _all_revisions() -> list[str]:
    return [s.revision for s in reversed(list(scripts().walk_revisions()))]


async def test_upgrade_to_head_is_idempotent_and_reports_what_it_applied(empty_db: str) -> None:
    revisions = _all_revisions()
    assert await current_revision(empty_db) is None
    assert await pending_revisions(empty_db) == revisions
    assert await upgrade_to_head(empty_db) == revisions
    assert await upgrade_to_head(empty_db) == []
    assert await current_revision(empty_db) == head_revision()
    assert await pending_revisions(empty_db) == []
    assert {"users", "goals", "outbox", VERSION_TABLE} <= await _tables(empty_db)


async def test_the_migrated_schema_equals_the_metadata(empty_db: str) -> None:
    await upgrade_to_head(empty_db)
    assert await _schema_differences(empty_db) == []
    # Alembic's comparison does not look at partial-index predicates: check the relay's index directly.
    conn = await asyncpg.connect(empty_db)
    try:
        definition = await conn.fetchval(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_outbox_pending_available_at_seq'"
        )
    finally:
        await conn.close()
    assert definition.endswith("(available_at, seq) WHERE (status = 'pending'::text)"), definition


async def test_every_migration_downgrades_and_upgrades_again(empty_db: str) -> None:
    revisions = _all_revisions()
    await upgrade_to_head(empty_db)
    for index in range(len(revisions) - 1, -1, -1):  # step down one at a time, up again, then go on down
        below = revisions[index - 1] if index > 0 else "base"
        assert await downgrade_to(empty_db, below) == [revisions[index]]
        assert await current_revision(empty_db) == (None if below == "base" else below)
        assert await upgrade_to_head(empty_db) == revisions[index:]
        assert await _schema_differences(empty_db) == []
        await downgrade_to(empty_db, below)
    assert await _tables(empty_db) <= {VERSION_TABLE}
    assert await upgrade_to_head(empty_db) == revisions
    assert await _schema_differences(empty_db) == []


async def test_an_unreachable_database_is_store_unavailable_with_the_password_masked(pg_server_url: str) -> None:
    url = make_url(pg_server_url).set(
        drivername="postgresql", password="hunter2-secret", database=f"missing_{uuid.uuid4().hex[:8]}"
    )
    with pytest.raises(StoreUnavailable) as raised:
        await upgrade_to_head(url.render_as_string(hide_password=False))
    assert "hunter2-secret" not in str(raised.value)
