"""The async engine: SQLAlchemy's pool over asyncpg, configured from :class:`GaiaSettings`.

* ``postgresql://`` and ``postgres://`` URLs are rewritten to ``postgresql+asyncpg://``.
* libpq TLS options in the URL (``sslmode``, ``sslrootcert``, ``sslcert``, ``sslkey``, ...) are handed to
  asyncpg, which implements libpq's semantics for them; SQLAlchemy would otherwise pass them to
  ``asyncpg.connect`` as unknown keyword arguments.
* The password never appears in a repr, a log line or an error message raised here.
* Pre-ping without a round trip: SQLAlchemy's asyncpg pre-ping costs three round trips per checkout
  (BEGIN, ``;``, ROLLBACK), more than a whole unit of work's statements. With ``pg_pool_pre_ping`` the
  pool instead checks locally that the socket is still open (asyncpg notices a server or network close
  while the connection idles in the pool), and the unit of work's BEGIN doubles as the ping: a
  connection that fails there is discarded and replaced (see ``unit_of_work.py``).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from gaia_adapters.settings import GaiaSettings

DRIVER = "postgresql+asyncpg"
_SCHEMES = ("postgresql", "postgres", DRIVER)
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# libpq TLS parameters asyncpg understands when they come in a DSN.
_TLS_FILE_PARAMS = (
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcrl",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
)


class PostgresUrlError(ValueError):
    """A PostgreSQL URL that cannot be used; the message shows it with the password masked."""


def asyncpg_url(url: str) -> tuple[URL, dict[str, Any]]:
    """The SQLAlchemy URL for asyncpg and the connect arguments translated from libpq options in its query."""
    try:
        parsed = make_url(url.strip())
    except exc.ArgumentError:
        # Not echoed: a string that does not parse may hold a password where mask_url cannot find it.
        raise PostgresUrlError("not a database URL (expected postgresql://user:password@host:port/database)") from None
    except ValueError:  # SQLAlchemy's int() of a port that is not a number
        raise PostgresUrlError(
            "not a database URL: the port is not a number (expected postgresql://user:password@host:port/database)"
        ) from None
    if parsed.port is not None and not 0 < parsed.port <= 65535:
        raise PostgresUrlError(
            f"the port must be between 1 and 65535, got {parsed.port} ({parsed.render_as_string(hide_password=True)})"
        )
    if parsed.drivername not in _SCHEMES:
        raise PostgresUrlError(
            f"expected a postgresql://, postgres:// or {DRIVER}:// URL, got {parsed.drivername}:// "
            f"({parsed.render_as_string(hide_password=True)})"
        )
    query = dict(parsed.query)
    connect_args: dict[str, Any] = {}
    sslmode = query.pop("sslmode", None)
    if sslmode is not None:
        if not isinstance(sslmode, str) or sslmode not in SSL_MODES:
            raise PostgresUrlError(f"sslmode must be one of {', '.join(SSL_MODES)}, got {sslmode!r}")
        connect_args["ssl"] = sslmode  # asyncpg takes libpq's mode names
    tls_files = {name: query.pop(name) for name in _TLS_FILE_PARAMS if name in query}
    if tls_files:
        # asyncpg reads these only from a DSN; explicit host/user/... arguments still take precedence.
        connect_args["dsn"] = "postgresql://?" + urlencode(tls_files, doseq=True)
    if "connect_timeout" in query:
        raw = query.pop("connect_timeout")
        try:
            connect_args["timeout"] = float(raw if isinstance(raw, str) else raw[-1])
        except ValueError:
            raise PostgresUrlError(f"connect_timeout must be a number of seconds, got {raw!r}") from None
    if "application_name" in query:
        connect_args["server_settings"] = {"application_name": query.pop("application_name")}
    return parsed.set(drivername=DRIVER, query=query), connect_args


def create_engine(settings: GaiaSettings, *, url: str | None = None) -> AsyncEngine:
    """An engine with the pool and driver settings of ``settings`` (``url`` overrides ``settings.postgres_url``)."""
    raw_url = url if url is not None else settings.postgres_url_value()
    if not raw_url:
        raise PostgresUrlError("no PostgreSQL URL configured (set GAIA_POSTGRES_URL)")
    sa_url, connect_args = asyncpg_url(raw_url)
    # asyncpg's own cache backs the unit of work's statements; SQLAlchemy's backs Core/ORM statements.
    connect_args["statement_cache_size"] = settings.pg_statement_cache_size
    connect_args["prepared_statement_cache_size"] = settings.pg_prepared_statement_cache_size
    behind_pooler = settings.pg_statement_cache_size == 0 and settings.pg_prepared_statement_cache_size == 0
    if behind_pooler:
        # PgBouncer in transaction mode: never reuse a server-side statement name across backends.
        connect_args["prepared_statement_name_func"] = _unique_statement_name
    timeout = settings.pg_command_timeout
    if timeout is not None and not behind_pooler:
        # Enforced by the server (statement_timeout): asyncpg's client-side command_timeout arms and cancels
        # a timer around every statement, a cost the hot path does not need. A pooler may refuse startup
        # parameters, so behind one the client-side timeout is used instead.
        server_settings = connect_args.setdefault("server_settings", {})
        server_settings.setdefault("statement_timeout", str(max(1, round(timeout * 1000))))
        connect_args["command_timeout"] = None
    else:
        connect_args["command_timeout"] = timeout
    engine = create_async_engine(
        sa_url,
        pool_size=settings.pg_pool_size,
        max_overflow=settings.pg_max_overflow,
        pool_timeout=settings.pg_pool_timeout,
        pool_recycle=settings.pg_pool_recycle,
        pool_pre_ping=False,  # replaced by the local liveness check below (see the module docstring)
        echo=settings.pg_echo,
        hide_parameters=not settings.pg_echo,
        connect_args=connect_args,
    )
    if settings.pg_pool_pre_ping:
        event.listen(engine.sync_engine.pool, "checkout", _discard_if_closed)
    return engine


def _unique_statement_name() -> str:
    return f"__gaia_{uuid.uuid4()}__"


def _discard_if_closed(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Pool checkout hook: raising DisconnectionError makes the pool drop this connection and take another."""
    if dbapi_connection.driver_connection.is_closed():
        raise exc.DisconnectionError("the connection was closed while it sat in the pool")


def describe(engine: AsyncEngine) -> str:
    """The engine's URL for messages, with the password masked."""
    return engine.url.render_as_string(hide_password=True)
