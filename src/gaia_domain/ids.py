"""Identifiers, generated in the domain, never by a database.

* ``UserId``, ``GoalId``, ``EventId``: UUIDv7 (time-ordered), ``.value`` is a plain ``uuid.UUID``.
* ``ConversationId``, ``MessageId``: 24 lower-case hex characters, byte-compatible with a
  MongoDB ObjectId (4-byte seconds, 5 random bytes, 3-byte counter). The ObjectId type itself
  exists only inside the MongoDB adapter.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import ClassVar, Self

from gaia_domain.errors import InvalidInput

_HEX24 = re.compile(r"[0-9a-f]{24}")


_RAND_BITS = 74  # rand_a (12 bits) and rand_b (62 bits) of RFC 9562's layout
_last_uuid7 = 0  # (milliseconds << 74) | random bits of the newest id made by this process
_uuid7_lock = threading.Lock()


def uuid7() -> uuid.UUID:
    """A RFC 9562 version-7 UUID: 48-bit Unix milliseconds, then random bits, monotonic within the process.

    Ids made in the same millisecond (or after the clock stepped back) continue from the previous one by a
    random increment (RFC 9562, 6.2 method 2), so ids sort in creation order: lists ordered by id are in
    creation order too.
    """
    global _last_uuid7
    candidate = (time.time_ns() // 1_000_000 & 0xFFFF_FFFF_FFFF) << _RAND_BITS | int.from_bytes(os.urandom(10)) >> 6
    with _uuid7_lock:
        if candidate <= _last_uuid7:
            candidate = _last_uuid7 + 1 + (int.from_bytes(os.urandom(4)) >> 1)
        _last_uuid7 = candidate
    millis, rand_a, rand_b = candidate >> _RAND_BITS, candidate >> 62 & 0xFFF, candidate & 0x3FFF_FFFF_FFFF_FFFF
    value = (millis & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


@dataclass(frozen=True, order=True, slots=True)
class _UuidId:
    value: uuid.UUID
    label: ClassVar[str] = "id"

    def __post_init__(self) -> None:
        if type(self.value) is not uuid.UUID:
            raise InvalidInput(self.label, f"must be a uuid.UUID, got {type(self.value).__name__}")

    @classmethod
    def new(cls) -> Self:
        return cls(uuid7())

    @classmethod
    def parse(cls, raw: object, field: str | None = None) -> Self:
        """Accept a UUID or its string form; anything else is InvalidInput naming the field."""
        name = field or cls.label
        if isinstance(raw, cls):
            return raw
        if isinstance(raw, uuid.UUID):
            return cls(uuid.UUID(int=raw.int))
        if not isinstance(raw, str):
            raise InvalidInput(name, f"must be a UUID string, got {type(raw).__name__}")
        try:
            return cls(uuid.UUID(raw.strip()))
        except ValueError as exc:
            raise InvalidInput(name, f"is not a valid UUID: {raw[:64]!r}") from exc

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True, order=True, slots=True)
class UserId(_UuidId):
    label: ClassVar[str] = "user_id"


@dataclass(frozen=True, order=True, slots=True)
class GoalId(_UuidId):
    label: ClassVar[str] = "goal_id"


@dataclass(frozen=True, order=True, slots=True)
class EventId(_UuidId):
    label: ClassVar[str] = "event_id"


_counter = itertools.count(int.from_bytes(os.urandom(3), "big"))
_process_random = os.urandom(5)


def _reseed_after_fork() -> None:
    """A forked child gets its own random part and counter, as bson's ObjectId does (else both make equal ids),
    and does not continue the parent's UUIDv7 sequence (two processes continuing it would make equal ids)."""
    global _counter, _process_random, _last_uuid7, _uuid7_lock
    _counter = itertools.count(int.from_bytes(os.urandom(3), "big"))
    _process_random = os.urandom(5)
    _last_uuid7, _uuid7_lock = 0, threading.Lock()


os.register_at_fork(after_in_child=_reseed_after_fork)


def object_id_hex() -> str:
    """A new ObjectId-compatible 24-hex string, made without bson."""
    seconds = int(time.time()) & 0xFFFF_FFFF
    count = next(_counter) & 0xFF_FFFF
    return (seconds.to_bytes(4, "big") + _process_random + count.to_bytes(3, "big")).hex()


@dataclass(frozen=True, order=True, slots=True)
class _HexId:
    value: str
    label: ClassVar[str] = "id"

    def __post_init__(self) -> None:
        if not isinstance(self.value, str) or not _HEX24.fullmatch(self.value):
            raise InvalidInput(self.label, f"must be 24 lower-case hex characters, got {self.value!r:.64}")

    @classmethod
    def new(cls) -> Self:
        return cls(object_id_hex())

    @classmethod
    def derive(cls, *parts: str) -> Self:
        """A deterministic id from stable inputs (an event id, an export's own id): replays map to the same id."""
        digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=12).hexdigest()
        return cls(digest)

    @classmethod
    def parse(cls, raw: object, field: str | None = None) -> Self:
        name = field or cls.label
        if isinstance(raw, cls):
            return raw
        if not isinstance(raw, str):
            raise InvalidInput(name, f"must be a 24-hex string, got {type(raw).__name__}")
        candidate = raw.strip().lower()
        if not _HEX24.fullmatch(candidate):
            raise InvalidInput(name, f"must be 24 hex characters, got {raw[:64]!r}")
        return cls(candidate)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, order=True, slots=True)
class ConversationId(_HexId):
    label: ClassVar[str] = "conversation_id"


@dataclass(frozen=True, order=True, slots=True)
class MessageId(_HexId):
    label: ClassVar[str] = "message_id"
