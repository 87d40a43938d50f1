"""The composition root: backend selection, provider overrides, resources closed exactly once (case K11)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers

from gaia_adapters.container import (
    Container,
    build_container,
    conversation_store_backend,
    init,
    resolve,
    running,
    shutdown,
    unit_of_work_backend,
)
from gaia_adapters.memory import MemoryConversationStore, MemoryDatabase, MemoryUnitOfWork
from gaia_adapters.memory.outbox_relay import MemoryOutboxRelayStore
from gaia_adapters.settings import GaiaSettings
from gaia_domain.clock import ManualClock
from gaia_domain.conversations import Conversation
from gaia_domain.ports import UnitOfWork

PG_URL = "postgresql+asyncpg://gaia:s3cret@db.example:5432/gaia"
MONGO_URL = "mongodb://gaia:s3cret@mongo.example:27017"


@pytest.fixture(autouse=True)
def _no_backend_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GAIA_POSTGRES_URL", raising=False)
    monkeypatch.delenv("GAIA_MONGO_URL", raising=False)


class RecordingStore(MemoryConversationStore):
    """A test double built by overriding a provider: records what the services asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.added: list[Conversation] = []

    async def add(self, conversation: Conversation) -> None:
        self.added.append(conversation)
        await super().add(conversation)


class Lifecycle:
    def __init__(self) -> None:
        self.opened = 0
        self.closed = 0

    async def async_store(self) -> AsyncIterator[MemoryConversationStore]:
        self.opened += 1
        try:
            yield MemoryConversationStore()
        finally:
            self.closed += 1

    def sync_uow_factory(self, database: MemoryDatabase) -> Iterator[object]:
        self.opened += 1
        try:
            yield lambda: MemoryUnitOfWork(database)
        finally:
            self.closed += 1


@pytest.mark.parametrize(
    ("postgres_url", "mongo_url", "uow", "store"),
    [
        (None, None, "memory", "memory"),
        (PG_URL, None, "postgres", "memory"),
        (None, MONGO_URL, "memory", "mongo"),
        (PG_URL, MONGO_URL, "postgres", "mongo"),
    ],
)
def test_backend_follows_the_urls(postgres_url: str | None, mongo_url: str | None, uow: str, store: str) -> None:
    settings = GaiaSettings(postgres_url=postgres_url, mongo_url=mongo_url)
    assert (unit_of_work_backend(settings), conversation_store_backend(settings)) == (uow, store)


def test_backend_urls_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAIA_MONGO_URL", MONGO_URL)
    container = Container()
    assert conversation_store_backend(container.settings()) == "mongo"
    assert "s3cret" not in repr(container.settings())


async def test_memory_backend_by_default_runs_every_service() -> None:
    container = build_container(clock=ManualClock())
    async with running(container) as app:
        user = await app.users.register(email="Grace@Example.org", name="Grace")
        conversation = await app.conversations.start(user.id, description="Hello")
        goal = await app.goals.create(user.id, title="Learn COBOL")
        assert (await app.users.get_by_email("grace@example.org")).id == user.id
        own = [c.id for c in await app.conversations.list(user.id) if not c.is_system_generated]  # not the welcome
        assert own == [conversation.id]
        assert [g.id for g in await app.goals.list(user.id)] == [goal.id]
        assert isinstance(await resolve(container.conversation_store), MemoryConversationStore)


async def test_user_deleted_removes_the_users_conversations() -> None:
    container = build_container()
    async with running(container) as app:
        keep = await app.users.register(email="keep@example.org", name="Keep")
        gone = await app.users.register(email="gone@example.org", name="Gone")
        kept = await app.conversations.start(keep.id)
        await app.conversations.start(gone.id)
        await app.conversations.start(gone.id)
        await app.users.delete(gone.id)
        assert len(await app.conversations.list(gone.id)) == 0
        assert [c.id for c in await app.conversations.list(keep.id) if not c.is_system_generated] == [kept.id]


async def test_tests_swap_an_adapter_by_overriding_its_provider() -> None:
    container = build_container()
    store = RecordingStore()
    with container.conversation_store.override(providers.Object(store)):
        async with running(container) as app:
            user = await app.users.register(email="ada@example.org", name="Ada")
            conversation = await app.conversations.start(user.id, description="overridden")
    assert [c.id for c in store.added if not c.is_system_generated] == [conversation.id]


async def test_selected_backend_provider_is_used_when_its_url_is_set() -> None:
    """The PostgreSQL provider is chosen by the URL; overriding it swaps the real adapter for a fake."""
    database = MemoryDatabase()
    created: list[UnitOfWork] = []

    def fake_postgres_uow() -> UnitOfWork:
        uow = MemoryUnitOfWork(database)
        created.append(uow)
        return uow

    container = build_container(GaiaSettings(postgres_url=PG_URL))
    container.postgres_unit_of_work_factory.override(providers.Object(fake_postgres_uow))
    container.postgres_outbox_relay_store.override(providers.Object(MemoryOutboxRelayStore(database)))
    async with running(container) as app:
        await app.users.register(email="linus@example.org", name="Linus")
    assert created
    assert [u.email.value for u in database.users.values()] == ["linus@example.org"]


async def test_k11_resources_close_exactly_once_and_second_shutdown_is_a_no_op() -> None:
    lifecycle = Lifecycle()
    container = build_container()
    container.conversation_store.override(providers.Resource(lifecycle.async_store))
    container.unit_of_work_factory.override(providers.Resource(lifecycle.sync_uow_factory, container.memory_database))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app = await init(container)
        user = await app.users.register(email="k11@example.org", name="K")
        await app.conversations.start(user.id)
        assert (lifecycle.opened, lifecycle.closed) == (2, 0)
        await shutdown(container)
        await shutdown(container)
        assert (lifecycle.opened, lifecycle.closed) == (2, 2)
        gc.collect()
    assert [str(w.message) for w in caught] == []


async def test_k11_shutdown_without_init_and_after_a_failure() -> None:
    lifecycle = Lifecycle()
    container = build_container()
    container.conversation_store.override(providers.Resource(lifecycle.async_store))
    await shutdown(container)  # nothing opened: nothing to close
    with pytest.raises(RuntimeError, match="boom"):
        async with running(container):
            raise RuntimeError("boom")
    await shutdown(container)
    assert (lifecycle.opened, lifecycle.closed) == (1, 1)


def test_domain_has_no_injection() -> None:
    domain = Path(__file__).resolve().parents[2] / "src" / "gaia_domain"
    offenders = [
        str(path.relative_to(domain))
        for path in domain.rglob("*.py")
        if "dependency_injector" in path.read_text(encoding="utf-8") or "@inject" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


README = Path(__file__).resolve().parents[2] / "README.md"


async def test_the_readme_example_of_swapping_an_adapter_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GAIA_POSTGRES_URL", "GAIA_MONGO_URL"):
        monkeypatch.delenv(name, raising=False)  # the example runs on the memory backend
    section = README.read_text(encoding="utf-8").split("## Swapping adapters in tests", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    await namespace["test_with_my_store"]()


def test_the_readme_example_of_wiring_the_container_runs(tmp_path: Path) -> None:
    """As a user would: the block copied into a script of its own and run (memory backend)."""
    section = README.read_text(encoding="utf-8").split("## Wiring the container", 1)[1]
    script = tmp_path / "wiring.py"
    script.write_text(section.split("```python\n", 1)[1].split("```", 1)[0], encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAIA_")}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
