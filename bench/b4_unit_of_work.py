"""B4: a unit-of-work round trip on PostgreSQL against raw asyncpg and a plain SQLAlchemy ORM session.

The round trip: check a connection out of the pool, BEGIN, read a user by id, change its name, save it
with the optimistic version check (``UPDATE ... WHERE id = $1 AND version = $2``, one row or a
conflict), COMMIT, check the connection back in.

* framework: ``PostgresUnitOfWork`` on ``create_engine(settings)``, the domain ``User`` and its repository;
* raw asyncpg: the same SQL written by hand on an ``asyncpg`` pool (its per-release reset query switched
  off, so both sides send exactly BEGIN, SELECT, UPDATE, COMMIT);
* ORM: a mapped class with ``version_id_col`` in an ``AsyncSession`` (select, modify, commit).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped

from bench.context import Context, progress
from bench.measure import Side, run_alternating
from bench.report import Row, at_most, fmt_seconds, row
from gaia_adapters.postgres.engine import asyncpg_url, create_engine
from gaia_adapters.postgres.tables import users as users_table
from gaia_adapters.postgres.unit_of_work import PostgresUnitOfWork
from gaia_adapters.settings import GaiaSettings
from gaia_domain.clock import SystemClock
from gaia_domain.errors import ConcurrencyConflict
from gaia_domain.ids import UserId
from gaia_domain.users import User

_USERS = 50


class _Base(DeclarativeBase):
    pass


class UserRow(_Base):
    """What a plain ORM application maps: the same table, the version column as SQLAlchemy's version counter."""

    __table__ = users_table
    __mapper_args__ = {"version_id_col": users_table.c.version}  # noqa: RUF012 - SQLAlchemy's declarative hook

    id: Mapped[uuid.UUID]
    name: Mapped[str]
    updated_at: Mapped[datetime]
    version: Mapped[int]


_RAW_SELECT = (
    "SELECT id, email, name, picture_url, timezone, onboarding, legacy_id, created_at, updated_at, last_active_at,"
    " version FROM users WHERE id = $1"
)
_RAW_UPDATE = "UPDATE users SET name = $3, updated_at = $4, version = $2 + 1 WHERE id = $1 AND version = $2"


async def _no_reset(connection: Any) -> None:
    """The framework sends nothing when a connection goes back to the pool; neither does the baseline."""


async def run(ctx: Context) -> list[Row]:
    sizes = ctx.sizes
    count = sizes.b4_round_trips
    settings = GaiaSettings(postgres_url=ctx.postgres_url)
    clock = SystemClock()
    engine = create_engine(settings)
    orm_url, orm_connect_args = asyncpg_url(ctx.postgres_url)
    orm_engine = create_async_engine(orm_url, connect_args=orm_connect_args)
    sessions = async_sessionmaker(orm_engine, expire_on_commit=False)
    raw_dsn = ctx.postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    pool = await asyncpg.create_pool(raw_dsn, min_size=1, max_size=10, reset=_no_reset)
    try:
        async with PostgresUnitOfWork(engine) as uow:
            ids: list[UserId] = []
            for i in range(_USERS):
                user = User.register(email=f"bench{i:04d}@example.org", name=f"user {i:04d}", clock=clock)
                await uow.users.add(user)
                ids.append(user.id)
            await uow.commit()
        progress(f"B4: {count} unit-of-work round trips per batch on {_USERS} users")
        names = iter(range(10**9))

        async def framework() -> None:
            for i in range(count):
                async with PostgresUnitOfWork(engine) as uow:
                    user = await uow.users.get(ids[i % _USERS])
                    user.update_profile(clock=clock, name=f"name {next(names):09d}")
                    await uow.users.save(user)
                    await uow.commit()

        async def raw() -> None:
            for i in range(count):
                async with pool.acquire() as conn, conn.transaction():
                    found = await conn.fetchrow(_RAW_SELECT, ids[i % _USERS].value)
                    status = await conn.execute(
                        _RAW_UPDATE, found["id"], found["version"], f"name {next(names):09d}", datetime.now(UTC)
                    )
                    if status != "UPDATE 1":
                        raise ConcurrencyConflict("user", found["id"], found["version"])

        async def orm() -> None:
            for i in range(count):
                async with sessions() as session, session.begin():
                    found = (
                        await session.execute(select(UserRow).where(UserRow.id == ids[i % _USERS].value))
                    ).scalar_one()
                    found.name = f"name {next(names):09d}"
                    found.updated_at = datetime.now(UTC)

        a, b, c = Side("framework", framework, count), Side("asyncpg", raw, count), Side("SQLAlchemy ORM", orm, count)
        await run_alternating([a, b, c], sizes.repetitions)
    finally:
        await pool.close()
        await orm_engine.dispose()
        await engine.dispose()
    return [
        row(
            "B4",
            "UoW round trip: CPU vs asyncpg",
            (a.name, a.median("cpu")),
            (b.name, b.median("cpu")),
            fmt_seconds,
            at_most(1.5),
        ),
        row(
            "B4",
            "UoW round trip: CPU vs ORM",
            (a.name, a.median("cpu")),
            (c.name, c.median("cpu")),
            fmt_seconds,
            at_most(1.0),
        ),
        row(
            "B4", "UoW round trip: wall vs asyncpg", (a.name, a.median("wall")), (b.name, b.median("wall")), fmt_seconds
        ),
        row("B4", "UoW round trip: wall vs ORM", (a.name, a.median("wall")), (c.name, c.median("wall")), fmt_seconds),
    ]
