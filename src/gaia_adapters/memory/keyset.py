"""Cursor keys for lists ordered by (time DESC, id DESC): {"t": ISO time, "id": str(id)}."""

from __future__ import annotations

from datetime import datetime

from gaia_domain.errors import InvalidInput
from gaia_domain.pagination import decode_cursor, encode_cursor
from gaia_domain.validation import utc_ms


def encode_time_id(kind: str, time: datetime, item_id: object) -> str:
    return encode_cursor(kind, {"t": time.isoformat(), "id": str(item_id)})


def decode_time_id(kind: str, token: str) -> tuple[datetime, str]:
    key = decode_cursor(kind, token)
    raw_time, raw_id = key.get("t"), key.get("id")
    if not isinstance(raw_time, str) or not isinstance(raw_id, str):
        raise InvalidInput("cursor", "is malformed")
    try:
        return utc_ms("cursor", datetime.fromisoformat(raw_time)), raw_id
    except ValueError as exc:
        raise InvalidInput("cursor", "is malformed") from exc
