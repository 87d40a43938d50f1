"""Keyset pagination with opaque, tamper-evident cursors.

A cursor names the page kind and the sort key of the last item returned. It is
base64url JSON followed by a keyed digest; a cursor that was edited, truncated,
made for another kind of list or is not a cursor at all raises
``InvalidInput("cursor", ...)``. The digest detects tampering and mix-ups; it is
not an authorisation mechanism (every query is still scoped by owner).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from gaia_domain.errors import InvalidInput
from gaia_domain.validation import positive_int

T = TypeVar("T")

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 20
MAX_CURSOR_INDEX = 2**31 - 1  # a position in a list (messages): MongoDB's $slice takes 32-bit integers
_KEY = b"gaia-domain keyset cursor v1"
_DIGEST_SIZE = 10


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    next_cursor: str | None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def page_size(value: object, field: str = "limit") -> int:
    return positive_int(field, value, maximum=MAX_PAGE_SIZE)


def _sign(body: bytes) -> bytes:
    return hashlib.blake2b(body, key=_KEY, digest_size=_DIGEST_SIZE).digest()


def encode_cursor(kind: str, key: dict[str, str | int]) -> str:
    body = json.dumps({"k": kind, "v": key}, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(body + _sign(body)).decode().rstrip("=")


def decode_cursor(kind: str, token: object) -> dict[str, str | int]:
    """The key stored in ``token``; InvalidInput("cursor", ...) when it is not a valid cursor of ``kind``."""
    if not isinstance(token, str) or not token or len(token) > 1024:
        raise InvalidInput("cursor", "is not a cursor returned by this list")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("cursor", "is malformed (not base64url)") from exc
    body, digest = raw[:-_DIGEST_SIZE], raw[-_DIGEST_SIZE:]
    if len(raw) <= _DIGEST_SIZE or not hmac.compare_digest(digest, _sign(body)):
        raise InvalidInput("cursor", "was tampered with or is malformed")
    try:  # the key is public: a signed body is not proof that this code wrote it
        data = json.loads(body)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise InvalidInput("cursor", "is malformed") from exc
    if not isinstance(data, dict):
        raise InvalidInput("cursor", "is malformed")
    if data.get("k") != kind:
        raise InvalidInput("cursor", f"belongs to another list ({data.get('k')!r}, expected {kind!r})")
    value = data.get("v")
    if not isinstance(value, dict):
        raise InvalidInput("cursor", "is malformed")
    return value
