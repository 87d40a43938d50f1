"""``gaia-db migrate`` without servers: the PostgreSQL step is called with the URL, output is masked, progress bars."""

from __future__ import annotations

from typing import Any

import pytest
from rich.console import Console
from rich.progress import Progress
from typer.testing import CliRunner

from gaia_adapters.cli import app, migrate

SECRET = "hunter2-not-printed"
URL = f"postgresql+asyncpg://gaia:{SECRET}@db.example:5432/gaia"


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GAIA_POSTGRES_URL", "GAIA_MONGO_URL", "GAIA_DEBUG"):
        monkeypatch.delenv(name, raising=False)


def test_postgres_step_gets_the_url_and_prints_it_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    async def upgrade_to_head(url: str) -> list[str]:
        calls.append(url)
        return ["0001", "0002"] if len(calls) == 1 else []

    def fake_require(module: str, attribute: str, feature: str) -> Any:
        assert (module, attribute) == ("gaia_adapters.postgres.migrate", "upgrade_to_head")
        return upgrade_to_head

    monkeypatch.setattr(migrate, "require_feature", fake_require)
    first = CliRunner().invoke(app, ["migrate", "--postgres-url", URL])
    second = CliRunner().invoke(app, ["--postgres-url", URL, "migrate"])
    assert (first.exit_code, second.exit_code) == (0, 0), first.output + second.output
    assert calls == [URL, URL]
    assert SECRET not in first.output + second.output
    assert "gaia:***@db.example" in first.output
    assert "schema at head (applied now: 0001, 0002)" in first.output
    assert "schema at head (nothing to apply)" in second.output


def test_a_failing_migration_is_one_masked_line(monkeypatch: pytest.MonkeyPatch) -> None:
    async def upgrade(url: str) -> list[str]:
        raise ConnectionRefusedError(f"could not connect to {url}")

    monkeypatch.setattr(migrate, "require_feature", lambda *_: upgrade)
    result = CliRunner().invoke(app, ["--postgres-url", URL, "migrate"])
    assert result.exit_code == 1
    assert SECRET not in result.output
    assert "Traceback" not in result.output
    assert result.output.strip().splitlines()[-1].startswith("error: ConnectionRefusedError: could not connect to")


def test_migration_progress_gives_each_migration_its_bar() -> None:
    with Progress(console=Console(file=None, force_terminal=False), disable=True) as bar:
        progress = migrate.MigrationProgress(bar)
        progress("0001_collections", 0, None)
        progress("0001_collections", 33, 33)
        progress("0002_legacy", 2, 5)
        tasks = {task.description: (task.completed, task.total) for task in bar.tasks}
    assert tasks == {"0001_collections": (33, 33), "0002_legacy": (2, 5)}
