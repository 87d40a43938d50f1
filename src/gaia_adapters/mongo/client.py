"""MongoDB clients, made from settings inside the running event loop (never at import).

PyMongo's native ``AsyncMongoClient`` is the default; Motor (deprecated upstream) is selected with
``GAIA_MONGO_DRIVER=motor`` and imported only then, so the package works without Motor installed.
Every client is tz-aware in UTC and encodes ``uuid.UUID`` as standard binary subtype 4.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from datetime import UTC
from typing import Any

from pymongo import AsyncMongoClient, MongoClient
from pymongo.errors import ConfigurationError

from gaia_adapters.settings import GaiaSettings, mask_url

# ``AsyncMongoClient`` or Motor's ``AsyncIOMotorClient``: the store only uses what both offer.
AsyncClient = Any

_CLOSED_FLAG = "_gaia_closed"


def client_options(settings: GaiaSettings) -> dict[str, Any]:
    """Keyword arguments shared by every driver: codec rules, pool and timeouts."""
    options: dict[str, Any] = {
        "tz_aware": True,
        "tzinfo": UTC,
        "uuidRepresentation": "standard",
        "maxPoolSize": settings.mongo_max_pool_size,
        "minPoolSize": settings.mongo_min_pool_size,
        "serverSelectionTimeoutMS": settings.mongo_server_selection_timeout_ms,
        "connectTimeoutMS": settings.mongo_connect_timeout_ms,
        "appname": "gaia-domain",
    }
    if settings.mongo_socket_timeout_ms is not None:
        options["socketTimeoutMS"] = settings.mongo_socket_timeout_ms
    return options


def _url(settings: GaiaSettings) -> str:
    url = settings.mongo_url_value()
    if not url:
        raise ValueError("GAIA_MONGO_URL is not set")
    return url


def _motor_client_class() -> Any:
    try:
        module = importlib.import_module("motor.motor_asyncio")
    except ImportError as exc:
        raise RuntimeError("GAIA_MONGO_DRIVER=motor needs Motor: pip install 'gaia-domain[motor]'") from exc
    return module.AsyncIOMotorClient


async def open_client(settings: GaiaSettings) -> AsyncClient:
    """A client bound to the running loop: ``AsyncMongoClient`` or, with ``mongo_driver="motor"``, Motor's."""
    asyncio.get_running_loop()  # fail loudly when called outside a loop instead of binding to a wrong one
    url = _url(settings)
    options = client_options(settings)
    try:
        if settings.mongo_driver == "motor":
            return _motor_client_class()(url, **options)
        return AsyncMongoClient(url, **options)
    except (ConfigurationError, ValueError, TypeError) as exc:  # a bad URL: no password in the message
        raise ValueError(f"invalid MongoDB URL {mask_url(url)}: {mask_url(str(exc))}") from None


def open_sync_client(settings: GaiaSettings) -> MongoClient[dict[str, Any]]:
    """The synchronous PyMongo client with the same options, for synchronous callers."""
    url = _url(settings)
    try:
        return MongoClient(url, **client_options(settings))
    except (ConfigurationError, ValueError, TypeError) as exc:
        raise ValueError(f"invalid MongoDB URL {mask_url(url)}: {mask_url(str(exc))}") from None


async def close_client(client: AsyncClient) -> None:
    """Close the client once; later calls are no-ops (PyMongo's close is a coroutine, Motor's is not)."""
    if getattr(client, _CLOSED_FLAG, False):
        return
    setattr(client, _CLOSED_FLAG, True)
    result = client.close()
    if inspect.isawaitable(result):
        await result


def is_closed(client: AsyncClient) -> bool:
    return bool(getattr(client, _CLOSED_FLAG, False))
