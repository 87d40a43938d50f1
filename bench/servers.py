"""The servers a benchmark run uses, each cleaned up even when the run is interrupted.

* PostgreSQL: the one already running (default ``postgresql://postgres@127.0.0.1:5432/postgres``); the run
  creates a database of its own, migrates it with the framework's ``upgrade_to_head`` and drops it at the end.
* SecantusDB: started here as its own process (free port, temporary storage folder) so that its CPU is not
  counted as the client's; terminated (then killed) and its folder removed at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from pymongo import MongoClient
from pymongo.errors import PyMongoError
from sqlalchemy.engine import make_url

from gaia_adapters.postgres.migrate import upgrade_to_head

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
_START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def secantusd_executable() -> str:
    beside_python = Path(sys.executable).with_name("secantusd-py")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("secantusd-py")
    if found is None:
        raise RuntimeError("secantusd-py not found: pip install secantusdb (the dev extra)")
    return found


@dataclass(frozen=True)
class Mongo:
    url: str
    version: str


@contextlib.contextmanager
def secantus_server() -> Iterator[Mongo]:
    """A fresh SecantusDB on a free port with a temporary storage folder; stopped and removed on exit."""
    folder = Path(tempfile.mkdtemp(prefix="gaia-bench-secantus-"))
    port = free_port()
    url = f"mongodb://127.0.0.1:{port}/"
    log = (folder / "secantusd.log").open("wb")
    process = subprocess.Popen(
        [
            secantusd_executable(),
            *("--host", "127.0.0.1", "--port", str(port)),
            *("--storage-path", str(folder / "data")),
            *("--log-level", "WARNING"),
            "--enable-test-commands",  # failCommand: see Context.delayed_store
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        version = _wait_ready(process, url, folder)
        yield Mongo(url, version)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_ready(process: subprocess.Popen[bytes], url: str, folder: Path) -> str:
    deadline = time.monotonic() + _START_TIMEOUT
    reason = "not started"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"secantusd-py exited with {process.returncode}: {_tail(folder)}")
        client: MongoClient[dict[str, Any]] = MongoClient(url, serverSelectionTimeoutMS=500)
        try:
            info = client.server_info()
            return str(info.get("version", "?"))
        except PyMongoError as exc:
            reason = f"{type(exc).__name__}: {exc}"[:200]
        finally:
            client.close()
        time.sleep(0.1)
    raise RuntimeError(f"secantusd-py gave no answer within {_START_TIMEOUT}s ({reason}): {_tail(folder)}")


def _tail(folder: Path) -> str:
    with contextlib.suppress(OSError):
        return (folder / "secantusd.log").read_text(errors="replace")[-800:]
    return ""


@dataclass(frozen=True)
class Postgres:
    url: str  # the benchmark's own database
    version: str


def _with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


async def _admin(url: str, statement: str) -> str:
    connection = await asyncpg.connect(_with_database(url, "postgres").replace("+asyncpg", ""))
    try:
        await connection.execute(statement)
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


@contextlib.contextmanager
def postgres_database(server_url: str = DEFAULT_POSTGRES_URL) -> Iterator[Postgres]:
    """A new database on the running server, migrated to head; dropped (forcibly) on exit."""
    name = f"gaia_bench_{uuid.uuid4().hex[:12]}"
    version = asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    url = _with_database(server_url, name)
    try:
        asyncio.run(upgrade_to_head(url))
        yield Postgres(url, version)
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
