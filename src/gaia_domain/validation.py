"""Small checks shared by the value objects: each raises InvalidInput naming the field."""

from __future__ import annotations

from datetime import UTC, datetime

from gaia_domain.errors import InvalidInput


def text(field: str, value: object, *, max_length: int, allow_empty: bool = False, strip: bool = True) -> str:
    """A storable string: no NUL, no lone surrogate (neither survives PostgreSQL or BSON), bounded length."""
    if not isinstance(value, str):
        raise InvalidInput(field, f"must be a string, got {type(value).__name__}")
    result = value.strip() if strip else value
    if not allow_empty and not result:
        raise InvalidInput(field, "must not be empty")
    if len(result) > max_length:
        raise InvalidInput(field, f"must be at most {max_length} characters, got {len(result)}")
    if "\x00" in result:
        raise InvalidInput(field, "must not contain NUL characters")
    if result.isascii():  # constant time: ASCII holds no surrogate, and encoding would copy the whole text
        return result
    try:
        result.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(field, "must be valid Unicode (lone surrogate found)") from exc
    return result


def optional_text(field: str, value: object, *, max_length: int) -> str | None:
    if value is None:
        return None
    result = text(field, value, max_length=max_length, allow_empty=True)
    return result or None


def utc_ms(field: str, value: object) -> datetime:
    """A timezone-aware datetime converted to UTC and truncated to milliseconds.

    MongoDB stores milliseconds; truncating at creation makes every adapter
    round-trip the value exactly. Naive datetimes are rejected.
    """
    if not isinstance(value, datetime):
        raise InvalidInput(field, f"must be a datetime, got {type(value).__name__}")
    if value.tzinfo is UTC and not value.microsecond % 1000:  # already stored form (every read): nothing to do
        return value
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise InvalidInput(field, "must be timezone-aware (naive datetimes are rejected)")
    try:
        as_utc = value.astimezone(UTC)
    except OverflowError as exc:
        raise InvalidInput(field, "is out of the representable range") from exc
    return as_utc.replace(microsecond=as_utc.microsecond - as_utc.microsecond % 1000)


def positive_int(field: str, value: object, *, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, f"must be an integer, got {type(value).__name__}")
    if value < 1 or value > maximum:
        raise InvalidInput(field, f"must be between 1 and {maximum}, got {value}")
    return value
