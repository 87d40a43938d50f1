"""Versioned MongoDB migrations, recorded in the ``gaia_migrations`` collection.

Each migration is a module with an ``ID`` (sortable, unique) and ``async def up(context)``; every ``up``
is idempotent and resumable (running it again after a crash finishes the work without redoing or
breaking what was done). :func:`run_pending` applies the ones not recorded yet, in order, and records
each after it succeeds; :func:`pending` lists them (for ``gaia-db doctor``).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from pymongo.errors import DuplicateKeyError

from gaia_adapters.mongo.collections import MIGRATIONS, CollectionRegistry
from gaia_adapters.mongo.migrations import m0001_collections, m0002_legacy_conversations
from gaia_domain.errors import DomainError, NotFound
from gaia_domain.ids import UserId
from gaia_domain.ports import UnitOfWork

Progress = Callable[[str, int, int], None]
"""``progress(migration_id, done, total)``, called as a migration advances (for a progress bar)."""

LegacyOwnerResolver = Callable[[str], "UserId | Awaitable[UserId | None] | None"]
"""Maps a legacy GAIA owner id (ObjectId hex) to our user id, or None when no user carries it."""

MIGRATION_MODULES: tuple[ModuleType, ...] = (m0001_collections, m0002_legacy_conversations)


@dataclass
class MigrationContext:
    database: Any
    registry: CollectionRegistry
    migration_id: str
    progress: Progress | None = None
    legacy_owner_resolver: LegacyOwnerResolver | None = None

    def report(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(self.migration_id, done, total)

    async def resolve_owner(self, legacy_owner: str) -> UserId | None:
        if self.legacy_owner_resolver is None:
            return None
        found = self.legacy_owner_resolver(legacy_owner)
        if inspect.isawaitable(found):
            found = await found
        return found


@dataclass
class MigrationIncomplete(DomainError):
    """Some documents could not be migrated; they are listed and left exactly as they were.

    The migration is not recorded, so it stays pending: fix the cause (for example give the users
    their ``legacy_id``) and run it again; it carries on with the documents that are left.
    """

    migration_id: str
    unmapped_owners: list[tuple[str, str]] = field(default_factory=list)  # (conversation id, legacy owner)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (conversation id, reason)

    def __post_init__(self) -> None:
        super().__init__(
            f"migration {self.migration_id}: {len(self.unmapped_owners)} document(s) with an unmapped legacy owner, "
            f"{len(self.invalid)} invalid document(s) left unchanged"
        )


def migration_ids() -> list[str]:
    return [module.ID for module in MIGRATION_MODULES]


async def applied(database: Any) -> set[str]:
    """Ids recorded as applied. Read-only: it does not create the record collection (doctor uses it)."""
    cursor = database[MIGRATIONS].find({}, {"_id": 1})
    return {str(row["_id"]) async for row in cursor}


async def pending(database: Any) -> list[str]:
    """Ids of the migrations not applied to this database yet, in the order they would run."""
    done = await applied(database)
    return [mid for mid in migration_ids() if mid not in done]


async def run_pending(
    database: Any,
    *,
    progress: Progress | None = None,
    legacy_owner_resolver: LegacyOwnerResolver | None = None,
    modules: Sequence[ModuleType] = MIGRATION_MODULES,
) -> list[str]:
    """Apply every pending migration in order; return the ids applied now (``[]`` when up to date)."""
    registry = CollectionRegistry(database)
    records = await registry.get(MIGRATIONS)
    done = {str(row["_id"]) async for row in records.find({}, {"_id": 1})}
    ran: list[str] = []
    for module in modules:
        if module.ID in done:
            continue
        context = MigrationContext(database, registry, module.ID, progress, legacy_owner_resolver)
        await module.up(context)
        with contextlib.suppress(DuplicateKeyError):  # another runner recorded it too; every up() is idempotent
            await records.insert_one({"_id": module.ID, "applied_at": datetime.now(UTC)})
        ran.append(module.ID)
    return ran


def user_repository_resolver(uow_factory: Callable[[], UnitOfWork]) -> LegacyOwnerResolver:
    """A resolver over ``UserRepository.get_by_legacy_id`` (one read-only unit of work per new legacy id)."""
    cache: dict[str, UserId | None] = {}

    async def resolve(legacy_owner: str) -> UserId | None:
        if legacy_owner not in cache:
            async with uow_factory() as uow:
                try:
                    cache[legacy_owner] = (await uow.users.get_by_legacy_id(legacy_owner)).id
                except NotFound:
                    cache[legacy_owner] = None
        return cache[legacy_owner]

    return resolve


__all__ = [
    "LegacyOwnerResolver",
    "MigrationContext",
    "MigrationIncomplete",
    "Progress",
    "migration_ids",
    "pending",
    "run_pending",
    "user_repository_resolver",
]
