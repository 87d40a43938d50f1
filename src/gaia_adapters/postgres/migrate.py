"""Run the shipped Alembic migrations from code (the CLI's ``gaia-db migrate`` and ``doctor`` use this).

No ``alembic.ini`` is needed: the script location is this package's ``migrations`` folder. Each call
opens its own short-lived connection (no pool), takes a transaction-scoped advisory lock so that two
processes migrating at once run one after the other, and applies everything in one transaction
(PostgreSQL DDL is transactional: a failing migration leaves the schema as it was).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from gaia_adapters.postgres import errors
from gaia_adapters.postgres.engine import asyncpg_url

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "gaia_alembic_version"
_LOCK_ID = 0x6761_6961_6D69_6772  # "gaiamigr": one migration at a time per database

T = TypeVar("T")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = scripts().get_current_head()
    assert head is not None, "the package ships at least one migration"
    return head


def _current(connection: Connection) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def _pending(connection: Connection) -> list[str]:
    current = _current(connection)
    newest_first = scripts().iterate_revisions("heads", current or "base")
    return [script.revision for script in reversed(list(newest_first))]


def _upgrade(connection: Connection) -> list[str]:
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_ID})")
    pending = _pending(connection)  # read under the lock: a concurrent run has finished by now
    if pending:
        command.upgrade(alembic_config(connection), "heads")
    return pending


def _downgrade_to(target: str) -> Callable[[Connection], list[str]]:
    def downgrade(connection: Connection) -> list[str]:
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_ID})")
        current = _current(connection)
        if current is None:
            return []
        undone = [s.revision for s in scripts().iterate_revisions(current, target)]
        command.downgrade(alembic_config(connection), target)
        return undone

    return downgrade


async def _on_connection(url: str, work: Callable[[Connection], T]) -> T:
    sa_url, connect_args = asyncpg_url(url)
    engine = create_async_engine(sa_url, poolclass=NullPool, connect_args=connect_args)
    try:
        async with engine.connect() as connection:
            result = await connection.run_sync(work)
            await connection.commit()
            return result
    except Exception as error:
        raise errors.unavailable(error) from error
    finally:
        await engine.dispose()


async def upgrade_to_head(url: str) -> list[str]:
    """Apply every pending migration; return the revision ids applied, oldest first ([] when up to date)."""
    return await _on_connection(url, _upgrade)


async def current_revision(url: str) -> str | None:
    """The revision the database is at (None for an empty database)."""
    return await _on_connection(url, _current)


async def pending_revisions(url: str) -> list[str]:
    """The revisions ``upgrade_to_head`` would apply, oldest first."""
    return await _on_connection(url, _pending)


async def downgrade_to(url: str, revision: str) -> list[str]:
    """Undo migrations down to ``revision`` ("base" for an empty schema); return the ids undone, newest first."""
    return await _on_connection(url, _downgrade_to(revision))
