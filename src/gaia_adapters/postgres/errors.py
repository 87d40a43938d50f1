"""Driver errors to domain errors. Only :mod:`gaia_domain.errors` leave the adapter; the driver error is the cause."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy import exc as sa_exc

from gaia_adapters.settings import mask_url
from gaia_domain.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    DomainError,
    DuplicateEmail,
    NotFound,
    StoreUnavailable,
)

STORE = "postgresql"

# Unique indexes and primary keys by name (tables.NAMING), with the entity each one protects.
_UNIQUE = {
    "pk_users": "user",
    "uq_users_legacy_id": "user",
    "pk_goals": "goal",
    "pk_outbox": "outbox event",
}


def translate(error: BaseException, entity: str, key: object) -> DomainError:
    """The domain error for a driver error raised while working on ``entity`` ``key``."""
    if isinstance(error, DomainError):
        return error
    error = _driver_error(error)
    if isinstance(error, asyncpg.UniqueViolationError):
        constraint = error.constraint_name or ""
        if constraint == "uq_users_email_normalized":
            return DuplicateEmail(str(key))
        return AlreadyExists(_UNIQUE.get(constraint, entity), key)
    if isinstance(error, asyncpg.ForeignKeyViolationError):
        return NotFound("user", key)
    if isinstance(error, asyncpg.SerializationError | asyncpg.DeadlockDetectedError):
        return ConcurrencyConflict(entity, key)
    return unavailable(error)


def _driver_error(error: BaseException) -> BaseException:
    """The asyncpg error inside SQLAlchemy's wrappers (``DBAPIError.orig``, then its adapter's own ``Error``)."""
    if isinstance(error, sa_exc.DBAPIError) and error.orig is not None:
        error = error.orig
    if not isinstance(error, asyncpg.PostgresError) and isinstance(error.__cause__, asyncpg.PostgresError):
        error = error.__cause__
    return error


def unavailable(error: BaseException) -> StoreUnavailable:
    error = _driver_error(error)
    if isinstance(error, asyncio.TimeoutError):
        reason = "the statement timed out (pg_command_timeout)"
    elif isinstance(error, sa_exc.TimeoutError):
        reason = "no pooled connection became free in time (pg_pool_timeout)"
    elif isinstance(error, asyncpg.InvalidCatalogNameError):
        reason = f"{error.sqlstate}: {error} (create it first: createdb, then gaia-db migrate)"
    elif isinstance(error, asyncpg.UndefinedTableError):
        reason = f"{error.sqlstate}: {error} (is the schema migrated? run gaia-db migrate)"
    elif isinstance(error, asyncpg.PostgresError):
        reason = f"{error.sqlstate}: {error}"
    else:
        reason = f"{type(error).__name__}: {error}"
    return StoreUnavailable(STORE, mask_url(reason))
