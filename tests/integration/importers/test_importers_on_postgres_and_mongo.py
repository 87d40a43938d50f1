"""Two separate runs of the import on PostgreSQL (users) + MongoDB (conversations): the second adds nothing.

Each run builds its own container, as two ``gaia-db import`` processes would: the user is found again in
PostgreSQL by email, so the derived conversation ids are the same and MongoDB skips them.
"""

from __future__ import annotations

import functools
import io
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from dependency_injector import providers
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncEngine

from gaia_adapters.cli.import_command import run_import
from gaia_adapters.container import Container, build_container, running
from gaia_adapters.importers import ImportOptions, ImportReport
from gaia_adapters.postgres.engine import create_engine
from gaia_adapters.postgres.outbox_relay import PostgresOutboxRelayStore
from gaia_adapters.postgres.unit_of_work import PostgresUnitOfWork
from gaia_adapters.settings import GaiaSettings

pytestmark = pytest.mark.integration

SHARED_DATA = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file()).parent / "shared"
# file -> (conversations, visible messages): the independent reading pinned in tests/unit/importers
REAL_COUNTS = {
    "chatgpt-LibreChat-export.json": (2, 19),
    "chatgpt-LibreChat-tree.json": (1, 6),
    "claude-claude-chat-viewer.json": (1, 4),
}


def shared_file(name: str) -> Path:
    path = SHARED_DATA / "data" / name
    if not path.is_file():
        message = f"real export {path} is missing"
        if os.environ.get("CI", "").lower() == "true" or os.environ.get("GAIA_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


async def _engine(settings: GaiaSettings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    try:
        yield engine
    finally:
        await engine.dispose()


def real_container(settings: GaiaSettings) -> Container:
    """The container on both databases; adds the PostgreSQL engine while the container does not declare one."""
    container = build_container(settings)
    if not hasattr(container, "postgres_engine"):
        engine = providers.Resource(_engine, container.settings)
        container.set_provider("postgres_engine", engine)
        factory = providers.Callable(lambda e: functools.partial(PostgresUnitOfWork, e), engine)
        container.postgres_unit_of_work_factory.override(factory)
        container.postgres_outbox_relay_store.override(providers.Singleton(PostgresOutboxRelayStore, engine))
    return container


@pytest.fixture
def settings(pg_url: str, pg_clean: None, mongo_settings: GaiaSettings, sync_mongo_client: object) -> GaiaSettings:
    return mongo_settings.model_copy(update={"postgres_url": GaiaSettings(postgres_url=pg_url).postgres_url})


async def _one_run(settings: GaiaSettings, path: Path, email: str) -> ImportReport:
    container = real_container(settings)
    async with running(container) as app:
        options = ImportOptions(batch_conversations=1)
        return await run_import(app, container.clock(), path, email, options, out=Console(file=io.StringIO()))


@pytest.mark.parametrize("name", sorted(REAL_COUNTS))
async def test_two_runs_on_the_real_databases_import_then_report_unchanged(settings: GaiaSettings, name: str) -> None:
    path = shared_file(name)
    conversations, messages = REAL_COUNTS[name]
    email = f"Two.Runs+{name.split('-')[0]}@Example.org"
    first = await _one_run(settings, path, email)
    assert (first.imported, first.messages_imported, first.skipped, first.exit_code) == (
        conversations,
        messages,
        [],
        0,
    )
    second = await _one_run(settings, path, email.lower())  # the same user, found case-insensitively
    assert (second.imported, second.unchanged, second.messages_imported, second.exit_code) == (
        0,
        conversations,
        0,
        0,
    )
