"""URLs are secrets: no part of a password survives ``mask_url`` / ``display_url``, whatever it holds."""

from __future__ import annotations

import pytest

from gaia_adapters.settings import display_url, mask_url


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("postgresql+asyncpg://postgres:S3c/ret@127.0.0.1/gaia", "ret"),  # SQLAlchemy accepts a raw '/'
        ("postgresql+asyncpg://postgres:S3c@ret@127.0.0.1/gaia", "ret"),  # an unescaped '@'
        ("mongodb://u:Mongo@PW@127.0.0.1:27017", "PW"),
        ("postgresql://postgres@127.0.0.1/gaia?password=S3cretQ", "S3cretQ"),  # libpq's password parameter
        ("postgresql://postgres@127.0.0.1/gaia?sslmode=require&sslpassword=KeyPW", "KeyPW"),
        ("postgresql://u:plain@db.example/gaia", "plain"),
    ],
)
def test_no_part_of_the_password_is_shown(url: str, secret: str) -> None:
    assert secret not in mask_url(url)
    assert secret not in mask_url(f"error: cannot reach {url}: refused")
    assert secret not in display_url(url)


def test_the_rest_of_the_url_stays_readable() -> None:
    assert mask_url("postgresql://u:pw@db.example:5432/gaia") == "postgresql://u:***@db.example:5432/gaia"
    assert mask_url("mongodb://127.0.0.1:27017/?authSource=admin") == "mongodb://127.0.0.1:27017/?authSource=admin"
    assert (
        mask_url("postgresql://u@h/db?password=x&sslmode=require") == "postgresql://u@h/db?password=***&sslmode=require"
    )


def test_a_value_that_is_no_url_is_not_echoed() -> None:
    # The password may be anywhere in a string that does not parse: show none of it.
    assert "S3cret" not in display_url("garbage S3cretPW")
    assert "S3cret" not in display_url("postgres:S3cretPW@host/db")
    assert display_url("mongodb://h:1/") == "mongodb://h:1/"
