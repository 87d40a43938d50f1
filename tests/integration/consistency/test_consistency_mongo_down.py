"""MongoDB stops while events are dispatched: the callers' operations succeed, the events wait in the outbox, and
once the server is back (restarted on the same port and storage) the relay completes every one exactly once.

Uses a SecantusDB process of its own (not the session's server), killed with SIGKILL for real.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from consistency_support import conversations_of
from pydantic import SecretStr
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from gaia_adapters.cli.relay import run_relay
from gaia_adapters.container import build_container, resolve, running
from gaia_adapters.relay.handlers import WELCOME_PURPOSE
from gaia_adapters.settings import GaiaSettings
from gaia_domain.conversations import Role
from gaia_domain.goals import Roadmap, RoadmapNode
from gaia_domain.services import NewMessage

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _secantusd() -> str:
    beside = Path(sys.executable).with_name("secantusd-py")
    found = str(beside) if beside.exists() else shutil.which("secantusd-py")
    if found is None:
        pytest.fail("secantusd-py not found (pip install secantusdb)", pytrace=False)
    return found


class DedicatedServer:
    """One SecantusDB process that a test may kill and start again on the same port and storage path."""

    def __init__(self, folder: Path) -> None:
        self.port = _free_port()
        self.url = f"mongodb://127.0.0.1:{self.port}/"
        self.storage = folder / "data"
        self.log = folder / "secantusd.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [_secantusd(), "--host", "127.0.0.1", "--port", str(self.port), "--storage-path", str(self.storage)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"secantusd-py exited: {self.log.read_text(errors='replace')[-500:]}", pytrace=False)
            client: MongoClient[dict[str, Any]] = MongoClient(self.url, serverSelectionTimeoutMS=300)
            try:
                client.admin.command("ping")
                return
            except PyMongoError:
                time.sleep(0.1)
            finally:
                client.close()
        pytest.fail("secantusd-py did not answer within 30 s", pytrace=False)

    def kill(self) -> None:
        """SIGKILL, after an fsync: what was acknowledged before stays (the server's own durability is not tested)."""
        client: MongoClient[dict[str, Any]] = MongoClient(self.url, serverSelectionTimeoutMS=2000)
        try:
            client.admin.command("fsync")
        finally:
            client.close()
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DedicatedServer]:
    dedicated = DedicatedServer(tmp_path)
    dedicated.start()
    try:
        yield dedicated
    finally:
        dedicated.stop()


@pytest.fixture
async def outbox_rows(pg_url: str, pg_clean: None) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(pg_url)
    try:
        yield conn
    finally:
        await conn.close()


async def test_mongodb_down_during_dispatch_then_the_relay_completes_the_events(
    server: DedicatedServer, pg_url: str, outbox_rows: asyncpg.Connection
) -> None:
    settings = GaiaSettings(
        postgres_url=SecretStr(pg_url),
        mongo_url=SecretStr(server.url),
        mongo_database="gaia_mongo_down",
        mongo_server_selection_timeout_ms=400,
        mongo_connect_timeout_ms=400,
        relay_backoff_base_seconds=0.05,
    )
    container = build_container(settings)
    async with running(container) as app:
        store = await resolve(container.conversation_store)
        ada = await app.users.register(email="ada@example.org", name="Ada")
        chat = await app.conversations.start(ada.id, messages=[NewMessage(role="user", content="plan")])
        roadmap = Roadmap(nodes=(RoadmapNode(id="a", label="Do it"),))
        goal = await app.goals.create(ada.id, title="Launch", roadmap=roadmap, conversation_id=chat.id)
        doomed = await app.users.register(email="doomed@example.org", name="Doomed")
        await app.conversations.start(doomed.id)
        await app.goals.create(doomed.id, title="Never")
        assert len(await conversations_of(store, ada.id)) == 2  # the welcome conversation and the chat

        server.kill()  # SIGKILL: MongoDB is gone while the next events are dispatched

        started = time.monotonic()
        bob = await app.users.register(email="bob@example.org", name="Bob")
        completed = await app.goals.complete_node(ada.id, goal.id, "a")
        await app.users.delete(doomed.id)
        callers_took = time.monotonic() - started
        # The callers' own operations succeeded and are committed in PostgreSQL.
        assert (await app.users.get(bob.id)).email.value == "bob@example.org"
        assert completed.completed_at is not None
        assert not await outbox_rows.fetch("SELECT 1 FROM users WHERE id = $1", doomed.id.value)
        assert not await outbox_rows.fetch("SELECT 1 FROM goals WHERE user_id = $1", doomed.id.value)

    waiting = await outbox_rows.fetch(
        "SELECT event_type, status, attempts, last_error FROM outbox WHERE status <> 'dispatched' ORDER BY seq"
    )
    assert [(r[0], r[1], r[2]) for r in waiting] == [
        ("UserRegistered", "pending", 1),
        ("GoalCompleted", "pending", 1),
        ("UserDeleted", "pending", 1),
    ]
    assert all("StoreUnavailable" in r[3] and "mongodb" in r[3] for r in waiting), [r[3] for r in waiting]

    # A relay while the server is still down: the events stay pending, each failure recorded.
    assert await run_relay(settings, wait_seconds=1.0) == 1
    still = await outbox_rows.fetch("SELECT status, attempts FROM outbox WHERE status <> 'dispatched'")
    assert {r[0] for r in still} == {"pending"}
    assert min(r[1] for r in still) >= 2

    server.start()  # back on the same port with the same storage
    assert await run_relay(settings, wait_seconds=10.0) == 0
    assert not await outbox_rows.fetch("SELECT 1 FROM outbox WHERE status <> 'dispatched'")

    container = build_container(settings)
    async with running(container):
        store = await resolve(container.conversation_store)
        bobs = await conversations_of(store, bob.id)
        assert [c.system_purpose for c in bobs] == [WELCOME_PURPOSE]
        adas = {c.id: c for c in await conversations_of(store, ada.id)}
        assert [m.role for m in adas[chat.id].messages] == [Role.USER, Role.SYSTEM]
        assert adas[chat.id].messages[1].content == "Goal completed: Launch"
        assert await conversations_of(store, doomed.id) == []
        before = (bobs, adas)

    assert await run_relay(settings) == 0
    container = build_container(settings)
    async with running(container):
        store = await resolve(container.conversation_store)
        after = (await conversations_of(store, bob.id), {c.id: c for c in await conversations_of(store, ada.id)})
    assert after == before
    print(f"callers' three operations with MongoDB down took {callers_took:.2f} s in all")
