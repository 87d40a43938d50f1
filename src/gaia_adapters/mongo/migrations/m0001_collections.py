"""Create every declared collection with its validator and indexes (what the registry does lazily)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gaia_adapters.mongo.collections import COLLECTIONS

if TYPE_CHECKING:
    from gaia_adapters.mongo.migrations import MigrationContext

ID = "0001_collections"


async def up(context: MigrationContext) -> None:
    names = sorted(COLLECTIONS)
    for done, name in enumerate(names, start=1):
        await context.registry.get(name)
        context.report(done, len(names))
