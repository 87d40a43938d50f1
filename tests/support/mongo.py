"""Pytest plugin: a MongoDB-wire server for the integration tests, and clients and stores on it.

Uses ``GAIA_TEST_MONGO_URL`` when set; otherwise starts SecantusDB (``secantusd-py``) as its own process
on a free port with a temporary storage folder, and stops it at the end of the session. Each test run
uses one fresh database, dropped at the end. With ``GAIA_REQUIRE_SERVICES=1`` a server that cannot be
started or reached fails the run; otherwise the tests that need it are skipped.

Register with ``pytest_plugins = ["support.mongo"]`` (tests/ is on ``pythonpath``).

Fixtures: ``mongo_url``, ``mongo_database_name``, ``mongo_settings``, ``pymongo_client`` (AsyncMongoClient),
``motor_client``, ``sync_mongo_client``, ``pymongo_conversation_store``, ``motor_conversation_store``,
``sync_conversation_store`` (the sync store behind a thread adapter), ``conversation_store`` (the
PyMongo async one), ``each_driver_store`` (parametrised: each of the three in turn), each store empty at the
start of the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import pytest_asyncio
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from gaia_adapters.mongo.client import close_client, open_client, open_sync_client
from gaia_adapters.mongo.collections import CONVERSATIONS, CollectionRegistry, SyncCollectionRegistry
from gaia_adapters.mongo.conversation_store import MongoConversationStore
from gaia_adapters.mongo.sync import SyncMongoConversationStore
from gaia_adapters.settings import GaiaSettings
from gaia_domain.ports import ConversationStore

_START_TIMEOUT = 30.0


def services_required() -> bool:
    return os.environ.get("GAIA_REQUIRE_SERVICES", "") not in ("", "0", "false", "no")


def unavailable(reason: str) -> None:
    """Fail under GAIA_REQUIRE_SERVICES=1, skip otherwise."""
    if services_required():
        pytest.fail(f"MongoDB-wire server required but unavailable: {reason}", pytrace=False)
    pytest.skip(f"MongoDB-wire server unavailable: {reason}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _secantusd() -> str | None:
    beside_python = Path(sys.executable).with_name("secantusd-py")
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("secantusd-py")


def _ping(url: str, timeout_ms: int) -> str | None:
    """None when the server answers, else the reason."""
    client: MongoClient[dict[str, Any]] = MongoClient(url, serverSelectionTimeoutMS=timeout_ms)
    try:
        client.admin.command("ping")
        return None
    except PyMongoError as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    finally:
        client.close()


class SecantusServer:
    """One ``secantusd-py`` process; stopped (terminate, then kill) by :meth:`stop`."""

    def __init__(self, executable: str, folder: Path) -> None:
        self.port = _free_port()
        self.url = f"mongodb://127.0.0.1:{self.port}/"
        self.log_path = folder / "secantusd.log"
        storage = folder / "data"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                executable,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--storage-path",
                str(storage),
                "--enable-test-commands",
                "--log-level",
                "WARNING",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self) -> str | None:
        deadline = time.monotonic() + _START_TIMEOUT
        reason: str | None = "not started"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return f"secantusd-py exited with {self.process.returncode}: {self.log_tail()}"
            reason = _ping(self.url, 500)
            if reason is None:
                return None
            time.sleep(0.1)
        return f"no answer within {_START_TIMEOUT}s ({reason}): {self.log_tail()}"

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-1000:]
        return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("GAIA_TEST_MONGO_URL")
    if given:
        reason = _ping(given, 5000)
        if reason is not None:
            unavailable(f"GAIA_TEST_MONGO_URL does not answer: {reason}")
        yield given
        return
    executable = _secantusd()
    if executable is None:
        unavailable("secantusd-py not found (pip install secantusdb) and GAIA_TEST_MONGO_URL not set")
        return
    server = SecantusServer(executable, tmp_path_factory.mktemp("secantus"))
    try:
        reason = server.wait_ready()
        if reason is not None:
            unavailable(reason)
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mongo_database_name() -> str:
    return f"gaia_test_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def mongo_settings(mongo_url: str, mongo_database_name: str) -> GaiaSettings:
    """Explicit values only where the tests depend on them (a GAIA_MONGO_DRIVER in the environment is ignored)."""
    return GaiaSettings(
        mongo_url=mongo_url,
        mongo_database=mongo_database_name,
        mongo_driver="pymongo",
        mongo_server_selection_timeout_ms=10_000,
    )


@pytest.fixture(scope="session")
def sync_mongo_client(mongo_settings: GaiaSettings) -> Iterator[MongoClient[dict[str, Any]]]:
    """Also owns the test database: it is dropped when the session ends."""
    client = open_sync_client(mongo_settings)
    try:
        yield client
    finally:
        with contextlib.suppress(PyMongoError):
            client.drop_database(mongo_settings.mongo_database)
        client.close()


@pytest_asyncio.fixture(scope="session")
async def pymongo_client(mongo_settings: GaiaSettings, sync_mongo_client: object) -> AsyncIterator[Any]:
    client = await open_client(mongo_settings)
    try:
        yield client
    finally:
        await close_client(client)


@pytest_asyncio.fixture(scope="session")
async def motor_client(mongo_settings: GaiaSettings, sync_mongo_client: object) -> AsyncIterator[Any]:
    pytest.importorskip("motor.motor_asyncio")
    client = await open_client(mongo_settings.model_copy(update={"mongo_driver": "motor"}))
    try:
        yield client
    finally:
        await close_client(client)


@pytest_asyncio.fixture(scope="session")
async def pymongo_registry(pymongo_client: Any, mongo_settings: GaiaSettings) -> CollectionRegistry:
    return CollectionRegistry(pymongo_client[mongo_settings.mongo_database])


@pytest_asyncio.fixture(scope="session")
async def motor_registry(motor_client: Any, mongo_settings: GaiaSettings) -> CollectionRegistry:
    return CollectionRegistry(motor_client[mongo_settings.mongo_database])


@pytest.fixture(scope="session")
def sync_registry(
    sync_mongo_client: MongoClient[dict[str, Any]], mongo_settings: GaiaSettings
) -> SyncCollectionRegistry:
    return SyncCollectionRegistry(sync_mongo_client[mongo_settings.mongo_database])


async def _emptied(registry: CollectionRegistry) -> None:
    await (await registry.get(CONVERSATIONS)).delete_many({})


@pytest_asyncio.fixture
async def pymongo_conversation_store(pymongo_registry: CollectionRegistry) -> MongoConversationStore:
    await _emptied(pymongo_registry)
    return MongoConversationStore(pymongo_registry)


@pytest_asyncio.fixture
async def motor_conversation_store(motor_registry: CollectionRegistry) -> MongoConversationStore:
    await _emptied(motor_registry)
    return MongoConversationStore(motor_registry)


class ThreadedStore:
    """The sync store behind the async port, each call in a worker thread (for the async contract suite)."""

    def __init__(self, store: SyncMongoConversationStore) -> None:
        self.sync_store = store

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self.sync_store, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(method, *args, **kwargs)

        return call


@pytest.fixture
def sync_conversation_store(sync_registry: SyncCollectionRegistry) -> ConversationStore:
    sync_registry.get(CONVERSATIONS).delete_many({})
    return cast(ConversationStore, ThreadedStore(SyncMongoConversationStore(sync_registry)))


@pytest.fixture
def conversation_store(pymongo_conversation_store: MongoConversationStore) -> ConversationStore:
    return pymongo_conversation_store


DRIVERS = ("pymongo", "motor", "sync")


@pytest.fixture(params=DRIVERS)
def each_driver_store(request: pytest.FixtureRequest) -> ConversationStore:
    """The test runs three times: on PyMongo async, on Motor, and on the sync store."""
    name = {"pymongo": "pymongo_conversation_store", "motor": "motor_conversation_store"}.get(
        request.param, "sync_conversation_store"
    )
    return cast(ConversationStore, request.getfixturevalue(name))
