"""The one error hierarchy every port raises.

Adapters translate driver exceptions into these and keep the original as
``__cause__`` (``raise NotFound(...) from exc``), so no driver type ever reaches
a caller of a port.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error raised by the domain, its ports and services."""


class InvalidInput(DomainError):
    """A value breaks an invariant. Names the offending field and the reason."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class NotFound(DomainError):
    """The entity does not exist, or belongs to another owner (the two are indistinguishable)."""

    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} not found: {key}")
        self.entity = entity
        self.key = key


class AlreadyExists(DomainError):
    """A uniqueness rule was violated."""

    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} already exists: {key}")
        self.entity = entity
        self.key = key


class DuplicateEmail(AlreadyExists):
    """Another user already has this email (compared case-insensitively)."""

    def __init__(self, email: str) -> None:
        super().__init__("user", email)
        self.email = email


class ConcurrencyConflict(DomainError):
    """Another writer changed the aggregate since it was read (version mismatch)."""

    def __init__(self, entity: str, key: object, expected_version: int | None = None) -> None:
        detail = f" (expected version {expected_version})" if expected_version is not None else ""
        super().__init__(f"{entity} {key} was changed by another writer{detail}")
        self.entity = entity
        self.key = key
        self.expected_version = expected_version


class UnitOfWorkError(DomainError):
    """The unit of work was used in a state that does not allow the operation."""


class StoreUnavailable(DomainError):
    """The database could not be reached or failed (timeout, lost connection); the driver error is the cause.

    A write that raised this may or may not have happened; retried appends are safe (ids are checked).
    """

    def __init__(self, store: str, reason: str) -> None:
        super().__init__(f"{store} unavailable: {reason}")
        self.store = store
        self.reason = reason
