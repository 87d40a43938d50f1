"""``gaia-db migrate``: PostgreSQL schema to head (Alembic), then the pending MongoDB migrations.

Both steps are idempotent: a second run changes nothing. The adapters are imported only here,
so the command works (and explains what is missing) on an installation without a driver.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from gaia_adapters.cli.common import (
    EXIT_BAD_INPUT,
    MongoUrl,
    PostgresUrl,
    console,
    describe_backends,
    fail,
    headline,
    require_feature,
    run,
    settings_for,
)
from gaia_adapters.container import build_container, resolve, shutdown
from gaia_adapters.settings import GaiaSettings, display_url


def migrate(ctx: typer.Context, postgres_url: PostgresUrl = None, mongo_url: MongoUrl = None) -> None:
    """Upgrade the PostgreSQL schema to head, then apply pending MongoDB migrations (idempotent)."""
    settings = settings_for(ctx, postgres_url, mongo_url)
    if settings.backend == "memory":
        fail(
            "nothing to migrate: give --postgres-url and/or --mongo-url (or GAIA_POSTGRES_URL/GAIA_MONGO_URL)",
            EXIT_BAD_INPUT,
        )
    run(lambda: _migrate(settings))


class MigrationProgress:
    """The ``progress`` callback handed to ``run_pending``: ``progress(migration_id, done, total)``.

    ``total`` may be ``None`` while it is unknown; each migration gets its own bar.
    """

    def __init__(self, bar: Progress) -> None:
        self._bar = bar
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, migration_id: str, done: int, total: int | None = None) -> None:
        task = self._tasks.get(migration_id)
        if task is None:
            task = self._tasks[migration_id] = self._bar.add_task(migration_id, total=total)
        self._bar.update(task, completed=done, total=total)


async def _migrate(settings: GaiaSettings) -> int:
    headline("gaia-db migrate", f"— {describe_backends(settings)}")
    postgres_url = settings.postgres_url_value()
    if postgres_url:
        upgrade_to_head = require_feature("gaia_adapters.postgres.migrate", "upgrade_to_head", "PostgreSQL migrations")
        console.print(f"PostgreSQL {display_url(postgres_url)}: upgrading the schema to head")
        revisions = await upgrade_to_head(postgres_url)  # runs Alembic on one async connection
        console.print(f"PostgreSQL: schema at head ({_applied(revisions)})")
    if settings.mongo_url_value():
        await _migrate_mongo(settings)
    return 0


async def _migrate_mongo(settings: GaiaSettings) -> None:
    run_pending = require_feature("gaia_adapters.mongo.migrations", "run_pending", "MongoDB migrations")
    container = build_container(settings)
    try:  # the container's client: opened in this loop, closed once by shutdown
        database = await resolve(container.mongo_database)
        options: dict[str, Any] = {}
        if settings.postgres_url:
            # Legacy conversations name GAIA's own owner ids: map them through the users' legacy_id.
            resolver = require_feature(
                "gaia_adapters.mongo.migrations", "user_repository_resolver", "legacy owner mapping"
            )
            options["legacy_owner_resolver"] = resolver(await resolve(container.unit_of_work_factory))
        pending = require_feature("gaia_adapters.mongo.migrations", "pending", "MongoDB migrations")
        applied: list[str] = []
        if await pending(database):
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=console) as bar:
                applied = await run_pending(database, progress=MigrationProgress(bar), **options)
    finally:
        await shutdown(container)
    console.print(f"MongoDB (database {settings.mongo_database}): up to date ({_applied(applied)})")


def _applied(ids: list[str]) -> str:
    return f"applied now: {', '.join(ids)}" if ids else "nothing to apply"
