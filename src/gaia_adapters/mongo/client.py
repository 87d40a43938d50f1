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
from urllib.parse import parse_qsl, urlsplit

from pymongo import AsyncMongoClient, MongoClient
from pymongo.errors import ConfigurationError
from pymongo.uri_parser import parse_uri

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


# Options that a URL may carry itself (``?serverSelectionTimeoutMS=500``): the URL's own value wins over the
# GAIA_MONGO_* setting (keyword arguments would silently override it). The codec rules are never left to the URL.
_URL_MAY_SET = (
    "maxPoolSize",
    "minPoolSize",
    "serverSelectionTimeoutMS",
    "connectTimeoutMS",
    "socketTimeoutMS",
    "appname",
)


def _respecting_url(url: str, options: dict[str, Any]) -> dict[str, Any]:
    given = {name.lower() for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    return {name: value for name, value in options.items() if name not in _URL_MAY_SET or name.lower() not in given}


def check_mongo_url(url: str) -> None:
    """ValueError (password masked) for a URL no client can use; what the server says is checked on connect."""
    if not url.strip().startswith(("mongodb://", "mongodb+srv://")):
        raise ValueError(f"expected a mongodb:// or mongodb+srv:// URL, got {mask_url(url)!r:.80}")
    if url.strip().startswith("mongodb://"):  # +srv is resolved through DNS: left to the client
        try:
            parse_uri(url.strip())
        except (ConfigurationError, ValueError, TypeError) as exc:
            raise ValueError(f"invalid MongoDB URL {mask_url(url)}: {mask_url(str(exc))}") from None


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
    options = _respecting_url(url, client_options(settings))
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
        return MongoClient(url, **_respecting_url(url, client_options(settings)))
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
