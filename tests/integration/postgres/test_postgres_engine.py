"""The engine factory: URL forms, libpq TLS options for asyncpg, pool settings, masked passwords."""

from __future__ import annotations

import logging

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from gaia_adapters.postgres.engine import PostgresUrlError, asyncpg_url, create_engine, describe
from gaia_adapters.postgres.unit_of_work import PostgresUnitOfWork
from gaia_adapters.settings import GaiaSettings
from gaia_domain.errors import StoreUnavailable

SECRET = "s3cr3t-pa55"


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://gaia:{SECRET}@db.example:5432/gaia",
        f"postgres://gaia:{SECRET}@db.example:5432/gaia",
        f"postgresql+asyncpg://gaia:{SECRET}@db.example:5432/gaia",
    ],
)
def test_urls_are_rewritten_for_asyncpg(url: str) -> None:
    sa_url, connect_args = asyncpg_url(url)
    assert sa_url.drivername == "postgresql+asyncpg"
    assert (sa_url.host, sa_url.port, sa_url.database, sa_url.username) == ("db.example", 5432, "gaia", "gaia")
    assert sa_url.password == SECRET
    assert connect_args == {}


def test_other_schemes_are_refused_with_the_password_masked() -> None:
    with pytest.raises(PostgresUrlError) as raised:
        asyncpg_url(f"mysql://gaia:{SECRET}@db.example/gaia")
    assert SECRET not in str(raised.value)
    assert "***" in str(raised.value)
    with pytest.raises(PostgresUrlError) as raised:
        asyncpg_url(f"not a url {SECRET}")
    assert SECRET not in str(raised.value)


def test_a_port_that_is_not_a_number_is_a_url_error_without_the_password() -> None:
    # SQLAlchemy raises a bare ValueError (int() of the port): it must be a PostgresUrlError like the others.
    with pytest.raises(PostgresUrlError, match="port is not a number") as raised:
        asyncpg_url(f"postgresql+asyncpg://gaia:{SECRET}@db.example:notaport/gaia")
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize("port", [0, 65536, 99999])
def test_a_port_out_of_range_is_a_url_error_without_the_password(port: int) -> None:
    with pytest.raises(PostgresUrlError, match="port must be between 1 and 65535") as raised:
        asyncpg_url(f"postgresql+asyncpg://gaia:{SECRET}@db.example:{port}/gaia")
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"])
def test_sslmode_becomes_asyncpgs_ssl_argument(mode: str) -> None:
    sa_url, connect_args = asyncpg_url(f"postgresql://gaia@db.example/gaia?sslmode={mode}&application_name=gaia")
    assert connect_args["ssl"] == mode
    assert connect_args["server_settings"] == {"application_name": "gaia"}
    assert "sslmode" not in sa_url.query
    assert "application_name" not in sa_url.query


def test_tls_files_and_connect_timeout_are_handed_to_asyncpg() -> None:
    sa_url, connect_args = asyncpg_url(
        "postgres://gaia@db.example/gaia?sslmode=verify-full&sslrootcert=/etc/ca.pem&sslcert=/c.pem&sslkey=/k.pem"
        "&connect_timeout=7"
    )
    assert connect_args["ssl"] == "verify-full"
    assert connect_args["dsn"] == "postgresql://?sslrootcert=%2Fetc%2Fca.pem&sslcert=%2Fc.pem&sslkey=%2Fk.pem"
    assert connect_args["timeout"] == 7.0
    assert dict(sa_url.query) == {}


def test_an_unknown_sslmode_is_refused() -> None:
    with pytest.raises(PostgresUrlError, match="sslmode"):
        asyncpg_url("postgresql://gaia@db.example/gaia?sslmode=sometimes")


def test_pool_and_driver_settings_come_from_the_settings() -> None:
    settings = GaiaSettings(
        postgres_url=f"postgresql://gaia:{SECRET}@db.example/gaia",
        pg_pool_size=7,
        pg_max_overflow=3,
        pg_pool_timeout=4.5,
        pg_pool_recycle=600,
        pg_statement_cache_size=0,
        pg_prepared_statement_cache_size=0,
    )
    engine = create_engine(settings)
    pool = engine.pool
    assert pool.size() == 7  # type: ignore[attr-defined]
    assert pool._max_overflow == 3  # type: ignore[attr-defined]
    assert pool._timeout == 4.5  # type: ignore[attr-defined]
    assert pool._recycle == 600
    assert SECRET not in repr(engine)
    assert SECRET not in str(engine.url)
    assert SECRET not in describe(engine)
    assert "***" in describe(engine)


def test_no_url_is_a_clear_error() -> None:
    with pytest.raises(PostgresUrlError, match="GAIA_POSTGRES_URL"):
        create_engine(GaiaSettings())


@pytest.mark.integration
async def test_sslmode_reaches_the_driver(pg_url: str) -> None:
    """'disable' and 'prefer' always connect; 'require' connects only if the server offers TLS."""
    conn = await asyncpg.connect(pg_url)
    try:
        server_tls = await conn.fetchval("SHOW ssl") == "on"
    finally:
        await conn.close()
    for mode, works in (("disable", True), ("prefer", True), ("require", server_tls)):
        engine = create_engine(GaiaSettings(postgres_url=f"{pg_url}?sslmode={mode}"))
        try:
            if works:
                async with PostgresUnitOfWork(engine) as uow:
                    await uow.users.list()
            else:
                with pytest.raises(StoreUnavailable):
                    async with PostgresUnitOfWork(engine):
                        pass
        finally:
            await engine.dispose()


@pytest.mark.integration
async def test_a_failed_connection_never_shows_the_password(pg_url: str, caplog: pytest.LogCaptureFixture) -> None:
    url = make_url(pg_url).set(password=SECRET, port=1).render_as_string(hide_password=False)
    engine = create_engine(GaiaSettings(postgres_url=url, pg_echo=True))
    caplog.set_level(logging.DEBUG)
    try:
        with pytest.raises(StoreUnavailable) as raised:
            async with PostgresUnitOfWork(engine):
                pass
    finally:
        await engine.dispose()
    shown = [str(raised.value), repr(raised.value), str(raised.value.__cause__), caplog.text, repr(engine)]
    assert all(SECRET not in text for text in shown)


@pytest.mark.integration
@pytest.mark.parametrize("behind_pooler", [False, True])
async def test_the_command_timeout_stops_a_long_statement(pg_url: str, behind_pooler: bool) -> None:
    """Enforced by the server (statement_timeout) normally; by asyncpg behind a pooler (caches 0)."""
    caches = 0 if behind_pooler else 100
    settings = GaiaSettings(
        postgres_url=pg_url,
        pg_command_timeout=0.3,
        pg_statement_cache_size=caches,
        pg_prepared_statement_cache_size=caches,
    )
    engine = create_engine(settings)
    try:
        async with PostgresUnitOfWork(engine) as uow:
            shown = await uow.connection().fetchval("SHOW statement_timeout")
            assert shown == ("0" if behind_pooler else "300ms")
            await uow.users.list()  # unnamed statements work too when the caches are off
        uow = PostgresUnitOfWork(engine)

        async def sleep_too_long() -> None:
            async with uow:
                await uow.run(uow.connection().execute("SELECT pg_sleep(5)"), "test", "sleep")

        with pytest.raises(StoreUnavailable, match=r"timed out|57014"):
            await sleep_too_long()
        async with PostgresUnitOfWork(engine) as again:  # the pool is still usable
            await again.users.list()
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await engine.dispose()
