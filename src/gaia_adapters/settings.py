"""Configuration from the environment (prefix ``GAIA_``) via pydantic-settings.

Without ``GAIA_POSTGRES_URL`` / ``GAIA_MONGO_URL`` the in-memory backend is used.
URLs are kept as secrets: their repr, logs and error messages show them with the
password masked (see :func:`mask_url`).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The password runs to the *last* '@' of the word: drivers accept a raw '/' in it (SQLAlchemy) and split
# user info from host at the last '@' (PyMongo), so stopping at the first '/' or '@' would show part of it.
_SCHEME = r"[a-z][a-z0-9+.\-]*://"
_PASSWORD = re.compile(rf"(?P<scheme>{_SCHEME})(?P<user>[^:@/\s]*):(?P<password>\S*)@", re.IGNORECASE)
# libpq also takes a password (and a TLS key's password) as a query parameter.
_QUERY_PASSWORD = re.compile(r"(?P<key>[?&](?:ssl)?password=)[^&#\s]*", re.IGNORECASE)


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (also inside error text that quotes it)."""
    masked = _PASSWORD.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:***@", url)
    return _QUERY_PASSWORD.sub(lambda m: f"{m.group('key')}***", masked)


def display_url(url: str) -> str:
    """A configured URL for display: masked, or not shown at all when it is no ``scheme://`` URL.

    A string that does not parse may hold a password where :func:`mask_url` cannot find it.
    """
    if not re.match(_SCHEME, url.strip(), re.IGNORECASE):
        return "(not a URL: not shown, it may hold a password)"
    return mask_url(url)


class GaiaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GAIA_", env_file=None, extra="ignore")

    postgres_url: SecretStr | None = None
    mongo_url: SecretStr | None = None
    mongo_database: str = "gaia"
    mongo_driver: Literal["pymongo", "motor"] = "pymongo"

    # PostgreSQL pool (SQLAlchemy QueuePool over asyncpg)
    pg_pool_size: int = Field(default=10, ge=1, le=1000)
    pg_max_overflow: int = Field(default=10, ge=0, le=1000)
    pg_pool_timeout: float = Field(default=30.0, gt=0)
    pg_pool_recycle: int = Field(default=1800, ge=-1)
    pg_pool_pre_ping: bool = True
    pg_echo: bool = False
    # Behind a transaction pooler (PgBouncer in transaction mode) set both caches to 0.
    pg_statement_cache_size: int = Field(default=100, ge=0)
    pg_prepared_statement_cache_size: int = Field(default=100, ge=0)
    pg_command_timeout: float | None = Field(default=60.0, gt=0)

    # MongoDB client
    mongo_max_pool_size: int = Field(default=100, ge=1)
    mongo_min_pool_size: int = Field(default=0, ge=0)
    mongo_server_selection_timeout_ms: int = Field(default=10_000, ge=1)
    mongo_connect_timeout_ms: int = Field(default=10_000, ge=1)
    mongo_socket_timeout_ms: int | None = Field(default=None, ge=1)

    # Outbox relay
    relay_batch_size: int = Field(default=100, ge=1, le=10_000)
    relay_max_attempts: int = Field(default=8, ge=1)
    relay_backoff_base_seconds: float = Field(default=1.0, gt=0)
    relay_backoff_max_seconds: float = Field(default=300.0, gt=0)
    relay_poll_interval_seconds: float = Field(default=1.0, gt=0)
    # How long a claimed event stays invisible to other relays; a claim that outlives it may be delivered again.
    relay_lease_seconds: float = Field(default=60.0, gt=0)

    @field_validator("mongo_database")
    @classmethod
    def _database_name(cls, value: str) -> str:
        if not value or any(c in value for c in '/\\. "$\x00') or len(value) > 63:
            raise ValueError('must be a valid MongoDB database name (no /\\. "$, at most 63 characters)')
        return value

    @property
    def backend(self) -> Literal["memory", "postgres", "mongo", "postgres+mongo"]:
        if self.postgres_url and self.mongo_url:
            return "postgres+mongo"
        if self.postgres_url:
            return "postgres"
        if self.mongo_url:
            return "mongo"
        return "memory"

    def postgres_url_value(self) -> str | None:
        return self.postgres_url.get_secret_value() if self.postgres_url else None

    def mongo_url_value(self) -> str | None:
        return self.mongo_url.get_secret_value() if self.mongo_url else None
