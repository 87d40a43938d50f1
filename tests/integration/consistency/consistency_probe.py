"""An application event and its handler for the two-relay test: every delivery is counted in MongoDB by event id.

Loaded by ``gaia-db relay --handlers consistency_probe:install`` (the documented way to add application handlers).
With ``PROBE_DIR`` set, :func:`install` waits at a start line: it announces itself with a ``ready-<pid>`` file and
waits for a ``go`` file, so that the test can start two relays at the same instant.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from gaia_adapters.relay import HandlerContext, HandlerRegistry
from gaia_domain.events import Event, register_event

COLLECTION = "relay_probe_deliveries"
_clients: list[AsyncMongoClient[dict[str, Any]]] = []  # opened in the running loop, on first use


async def close() -> None:
    """Close the probe's client (a test that runs the handler in its own process calls this at the end)."""
    while _clients:
        await _clients.pop().close()


@register_event
@dataclass(frozen=True, kw_only=True)
class RelayProbe(Event):
    number: int


def count_deliveries(context: HandlerContext) -> Callable[[RelayProbe], Awaitable[None]]:
    async def handle(event: RelayProbe) -> None:
        if not _clients:
            _clients.append(AsyncMongoClient(os.environ["GAIA_MONGO_URL"]))
        deliveries = _clients[0][os.environ["GAIA_MONGO_DATABASE"]][COLLECTION]
        await deliveries.update_one(
            {"_id": str(event.event_id)},
            {"$inc": {"deliveries": 1}, "$push": {"relays": os.getpid()}, "$set": {"number": event.number}},
            upsert=True,
        )

    return handle


def refuse_deliveries(context: HandlerContext) -> Callable[[RelayProbe], Awaitable[None]]:
    async def handle(event: RelayProbe) -> None:
        raise RuntimeError(f"probe {event.number} refused")

    return handle


def _start_line(folder: Path) -> None:
    (folder / f"ready-{os.getpid()}").touch()
    deadline = time.monotonic() + 60
    while not (folder / "go").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("no start signal within 60 s")
        time.sleep(0.005)


def install(registry: HandlerRegistry) -> None:
    registry.add(RelayProbe, count_deliveries)
    if os.environ.get("PROBE_DIR"):
        _start_line(Path(os.environ["PROBE_DIR"]))


def install_refusing(registry: HandlerRegistry) -> None:
    """A handler that always fails: its events end up dead."""
    registry.add(RelayProbe, refuse_deliveries)
