"""parse_time: every shape of time an export writes, and the ones it should not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gaia_adapters.importers.timestamps import fill_times, parse_time

MOMENT = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (MOMENT.timestamp(), MOMENT),
        (int(MOMENT.timestamp()), MOMENT),
        (MOMENT.timestamp() * 1000, MOMENT),  # milliseconds
        (str(MOMENT.timestamp()), MOMENT),
        ("2024-01-02T03:04:05Z", MOMENT),
        ("2024-01-02T05:04:05+02:00", MOMENT),
        ("2024-01-02 03:04:05", MOMENT),  # no zone: UTC
        (None, None),
        ("", None),
        ("yesterday", None),
        (True, None),
        (-1, None),
        (float("nan"), None),
        (10**400, None),
        ("1e400", None),
        ({"t": 1}, None),
    ],
)
def test_parse_time(raw: object, expected: datetime | None) -> None:
    assert parse_time(raw) == expected


def test_fill_times_takes_the_nearest_earlier_known_time() -> None:
    a, b = MOMENT, MOMENT.replace(hour=4)
    assert fill_times([None, a, None, None, b, None], start=MOMENT.replace(hour=1)) == [
        MOMENT.replace(hour=1),
        a,
        a,
        a,
        b,
        b,
    ]
