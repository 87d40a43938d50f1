"""``gaia-db relay`` on the memory backend: options, application handlers, summary and exit codes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from dependency_injector import providers
from typer.testing import CliRunner

from gaia_adapters.cli import app
from gaia_adapters.cli.common import console
from gaia_adapters.cli.relay import run_relay
from gaia_adapters.container import build_container, resolve
from gaia_adapters.memory import MemoryDatabase, MemoryUnitOfWork
from gaia_adapters.relay import HandlerContext, HandlerRegistry, RelayPolicy
from gaia_adapters.settings import GaiaSettings
from gaia_domain.clock import SystemClock
from gaia_domain.events import UserDeleted
from gaia_domain.ids import UserId

runner = CliRunner()


def failing(context: HandlerContext) -> Callable[[UserDeleted], Awaitable[None]]:
    async def handle(event: UserDeleted) -> None:
        raise RuntimeError("downstream said no")

    return handle


def install_failing(registry: HandlerRegistry) -> None:
    """An installer as ``--handlers`` loads it (this module is importable: tests/unit/relay is on sys.path)."""
    registry.add(UserDeleted, failing)


@pytest.fixture(autouse=True)
def _memory_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GAIA_POSTGRES_URL", raising=False)
    monkeypatch.delenv("GAIA_MONGO_URL", raising=False)


def test_help_names_the_options() -> None:
    result = runner.invoke(app, ["relay", "--help"])
    assert result.exit_code == 0
    for option in ("--follow", "--retry-dead", "--handlers", "--wait", "--purge-dispatched"):
        assert option in result.output


def test_an_installer_that_cannot_be_loaded_exits_2() -> None:
    result = runner.invoke(app, ["relay", "--handlers", "no_such_module_here:install"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["relay", "--handlers", "without-a-colon"])
    assert result.exit_code == 2


def test_empty_outbox_exits_0_with_a_summary() -> None:
    result = runner.invoke(app, ["relay"])
    assert result.exit_code == 0, result.output
    assert "Relay summary" in result.output
    assert "outbox after: 0 due, 0 waiting, 0 dead" in result.output


async def _pending(database: MemoryDatabase) -> None:
    async with MemoryUnitOfWork(database) as uow:
        await uow.outbox.add([UserDeleted(occurred_at=SystemClock().now(), user_id=UserId.new()) for _ in range(3)])
        await uow.commit()


async def test_run_relay_delivers_pending_events_and_reports_them() -> None:
    settings = GaiaSettings()
    container = build_container(settings)
    database: MemoryDatabase = await resolve(container.memory_database)
    await _pending(database)
    with console.capture() as captured:
        code = await run_relay(settings, container=container)
    assert code == 0
    assert [r.status for r in database.outbox] == ["dispatched"] * 3
    assert "UserDeleted" in captured.get()
    assert "outbox before: 3 due, 0 waiting, 0 dead" in captured.get()


async def test_failures_exit_1_then_retry_dead_requeues() -> None:
    settings = GaiaSettings()
    container = build_container(settings)
    container.relay_policy.override(providers.Object(RelayPolicy(max_attempts=1)))
    database: MemoryDatabase = await resolve(container.memory_database)
    await _pending(database)
    with console.capture():
        code = await run_relay(settings, container=container, handlers=[f"{__name__}:install_failing"])
    assert code == 1
    assert [(r.status, r.last_error) for r in database.outbox] == [
        ("dead", "failing: RuntimeError: downstream said no")
    ] * 3
    container = build_container(settings)
    container.memory_database.override(providers.Object(database))
    with console.capture() as captured:
        code = await run_relay(settings, container=container, retry_dead=True)
    assert code == 0
    assert "re-queued 3 dead events" in captured.get()
    assert [r.status for r in database.outbox] == ["dispatched"] * 3


async def test_follow_stops_when_asked() -> None:
    settings = GaiaSettings(relay_poll_interval_seconds=0.01)
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.1, stop.set)
    with console.capture() as captured:
        code = await asyncio.wait_for(run_relay(settings, follow=True, stop=stop), 5)
    assert code == 0
    assert "following the outbox" in captured.get()


async def test_purge_dispatched_deletes_the_history_it_is_asked_to() -> None:
    settings = GaiaSettings()
    container = build_container(settings)
    database: MemoryDatabase = await resolve(container.memory_database)
    await _pending(database)
    with console.capture() as captured:
        assert await run_relay(settings, container=container, purge_dispatched_days=1) == 0
    assert "purged 0 dispatched events older than 1 days" in captured.get()
    await asyncio.sleep(0.005)  # the rows finished a few milliseconds ago
    container = build_container(settings)
    container.memory_database.override(providers.Object(database))
    with console.capture() as captured:
        assert await run_relay(settings, container=container, purge_dispatched_days=0) == 0
    assert "purged 3 dispatched events older than 0 days" in captured.get()
    assert database.outbox == []


def test_a_postgres_outbox_without_mongodb_is_refused_before_any_event_is_claimed() -> None:
    # Its handlers would delete a deleted user's conversations from an in-memory store, mark the events done,
    # and leave the MongoDB documents behind for good. Port 1: nothing is ever contacted.
    result = runner.invoke(app, ["relay", "--postgres-url", "postgresql://gaia@127.0.0.1:1/gaia"])
    assert result.exit_code == 2, result.output
    assert "needs --mongo-url too" in result.output
    assert "Relay summary" not in result.output
