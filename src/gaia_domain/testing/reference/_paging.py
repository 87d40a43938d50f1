"""Offset paging for the reference models (fine for a model: nothing changes between its pages)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from gaia_domain.errors import InvalidInput
from gaia_domain.pagination import Page, decode_cursor, encode_cursor, page_size

T = TypeVar("T")
KIND = "reference"


def offset_of(cursor: str | None, scope: str) -> int:
    if cursor is None:
        return 0
    key = decode_cursor(KIND, cursor)
    offset = key.get("n")
    if key.get("scope") != scope or not isinstance(offset, int) or offset < 0:
        raise InvalidInput("cursor", "belongs to another list")
    return offset


def check_limit(limit: object) -> int:
    return page_size(limit)


def page(ordered: Sequence[T], limit: int, offset: int, scope: str) -> Page[T]:
    items = tuple(ordered[offset : offset + limit])
    end = offset + len(items)
    return Page(items, encode_cursor(KIND, {"scope": scope, "n": end}) if end < len(ordered) else None)
