"""What every command shares: the backend options, settings, the console and error handling.

Errors never reach the user as a traceback: a domain error prints one line naming the field and
the reason and exits with 2; anything else prints one line (URLs masked) and exits with 1.
``GAIA_DEBUG=1`` re-raises instead, for debugging.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn

import typer
from pydantic import SecretStr, ValidationError
from rich.console import Console
from rich.text import Text

from gaia_adapters.container import BackendUnavailable
from gaia_adapters.driver_text import short_driver_message
from gaia_adapters.entry import EXIT_INTERRUPTED, INTERRUPTED
from gaia_adapters.settings import GaiaSettings, display_url, mask_url
from gaia_domain.errors import DomainError, InvalidInput, NotFound, StoreUnavailable

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2

# Tables are wide: when the output is not a terminal (CI logs, pipes) and COLUMNS is unset, use 120 columns.
_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 120
# C0/C1 control characters but tab and newline: from user data they could drive the terminal (ESC sequences).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with its control characters shown escaped (``\\x1b``), so data cannot retitle or clear a terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class _DataConsole(Console):
    """A console whose plain strings (every table cell, every printed ``str``) go through :func:`printable`."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(printable(text), **kwargs)


# markup=False: user data (a message saying "[bold]") is printed as it is, never interpreted.
console = _DataConsole(highlight=False, markup=False, width=_WIDTH)
err_console = _DataConsole(stderr=True, highlight=False, markup=False, width=_WIDTH)


def headline(label: str, text: str, style: str = "bold") -> None:
    """A line with a styled label: ``label`` in ``style``, then the plain ``text``."""
    console.print(Text.assemble((label, style), " ", text))


PostgresUrl = Annotated[
    str | None,
    typer.Option(
        "--postgres-url",
        envvar="GAIA_POSTGRES_URL",
        help="PostgreSQL URL (postgresql+asyncpg://user:password@host/db) for users, goals and the outbox.",
        show_default=False,
    ),
]
MongoUrl = Annotated[
    str | None,
    typer.Option(
        "--mongo-url",
        envvar="GAIA_MONGO_URL",
        help="MongoDB URL (mongodb://host:port) for conversations.",
        show_default=False,
    ),
]


@dataclass(frozen=True)
class GlobalOptions:
    """The options given before the command name (``gaia-db --postgres-url URL demo``)."""

    postgres_url: str | None = None
    mongo_url: str | None = None


def settings_for(ctx: typer.Context, postgres_url: str | None, mongo_url: str | None) -> GaiaSettings:
    """Settings from the environment, overridden by the global options, overridden by the command's."""
    given = ctx.find_object(GlobalOptions) or GlobalOptions()
    chosen = {"postgres_url": postgres_url or given.postgres_url, "mongo_url": mongo_url or given.mongo_url}
    try:
        settings = GaiaSettings()  # the GAIA_ environment, validated
        settings = settings.model_copy(update={name: SecretStr(url) for name, url in chosen.items() if url})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "settings"
        fail(f"invalid setting: {field}: {first['msg']}", EXIT_BAD_INPUT)
    _check_urls(settings)
    return settings


def _check_urls(settings: GaiaSettings) -> None:
    """Both URLs checked before any work starts (a bad MongoDB URL must not fail after PostgreSQL migrated)."""
    checks = (
        ("postgres_url", settings.postgres_url_value(), "gaia_adapters.postgres.engine", "asyncpg_url"),
        ("mongo_url", settings.mongo_url_value(), "gaia_adapters.mongo.client", "check_mongo_url"),
    )
    for field, url, module, function in checks:
        if not url:
            continue
        try:
            check = getattr(importlib.import_module(module), function)
        except ImportError:  # the driver is not installed: the backend itself says so when it is opened
            continue
        try:
            check(url)
        except ValueError as exc:
            fail(f"invalid setting: {field}: {exc}", EXIT_BAD_INPUT)


def describe_backends(settings: GaiaSettings) -> str:
    """One line naming where each kind of data lives; passwords masked."""
    pg, mongo = settings.postgres_url_value(), settings.mongo_url_value()
    relational = f"PostgreSQL {display_url(pg)}" if pg else "memory"
    documents = f"MongoDB {display_url(mongo)} (database {settings.mongo_database})" if mongo else "memory"
    return f"users & goals: {relational}; conversations: {documents}"


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    err_console.print(Text.assemble(("error:", "bold red"), " ", printable(mask_url(message))), soft_wrap=True)
    raise typer.Exit(code)


def domain_error_line(exc: DomainError) -> str:
    if isinstance(exc, InvalidInput):
        return f"invalid input: {exc.field}: {exc.reason}"
    if isinstance(exc, NotFound):
        return f"not found: {exc.entity} {exc.key}"
    return str(exc)


def run(work: Callable[[], Awaitable[int | None]]) -> None:
    """Run a command's coroutine; map its errors to one line and an exit code."""
    if os.environ.get("GAIA_DEBUG") == "1":
        code = asyncio.run(_call(work))
    else:
        try:
            code = asyncio.run(_call(work))
        except typer.Exit:
            raise
        except KeyboardInterrupt:  # Ctrl-C: what was committed stays; every command is safe to run again
            fail(INTERRUPTED, EXIT_INTERRUPTED)
        except StoreUnavailable as exc:  # a database down or unreachable: not the caller's input
            fail(_one_line(str(exc)), EXIT_FAILURE)
        except DomainError as exc:
            fail(domain_error_line(exc), EXIT_BAD_INPUT)
        except BackendUnavailable as exc:
            fail(str(exc), EXIT_FAILURE)
        except Exception as exc:  # noqa: BLE001 - the CLI boundary: one masked line, never a traceback
            fail(_one_line(describe_error(exc)), EXIT_FAILURE)
    if code:
        raise typer.Exit(code)


def describe_error(exc: BaseException) -> str:
    """An unexpected error in words: a MongoDB server's reply by its message, not the whole reply document;
    a server that cannot be reached without the driver's topology dump."""
    if not type(exc).__module__.startswith("pymongo"):
        return f"{type(exc).__name__}: {exc}"
    kinds = {cls.__name__ for cls in type(exc).__mro__}
    details = getattr(exc, "details", None)
    if isinstance(details, dict) and isinstance(details.get("errmsg"), str):
        name = details.get("codeName")
        return f"mongodb error: {details['errmsg']}" + (f" ({name})" if isinstance(name, str) and name else "")
    text = short_driver_message(exc)
    if "ConnectionFailure" in kinds:
        return f"mongodb unavailable: {text} (is the server running at the URL given?)"
    return f"mongodb error: {type(exc).__name__}: {text}"


def _one_line(message: str, limit: int = 300) -> str:
    """Driver messages can be long (a whole topology description): first line, bounded."""
    first = message.strip().splitlines()[0] if message.strip() else message
    return first if len(first) <= limit else first[: limit - 1] + "…"


async def _call(work: Callable[[], Awaitable[int | None]]) -> int | None:
    return await work()


def require_feature(module: str, attribute: str, feature: str) -> Any:
    """``module.attribute``, imported only when a command needs it; a clear exit when it is not installed."""
    try:
        return getattr(importlib.import_module(module), attribute)
    except ImportError as exc:  # the module, or a driver it needs, is missing
        fail(f"{feature} is not available in this installation ({module}.{attribute}: {exc})", EXIT_FAILURE)
    except AttributeError:
        fail(f"{feature} is not available in this installation ({module} has no {attribute})", EXIT_FAILURE)
