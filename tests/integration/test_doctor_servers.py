"""``gaia-db doctor`` against real servers: migrated and empty databases, missing indexes, outbox backlog and dead
events, unreachable servers (exit 2) — and never a password in the output.

Each test examines databases of its own (created here, dropped after), so it neither sees nor disturbs the
databases the other integration tests share.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from pymongo import MongoClient
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from gaia_adapters.cli import app
from gaia_adapters.cli.common import console
from gaia_adapters.mongo.collections import CONVERSATIONS
from gaia_adapters.mongo.migrations import migration_ids, run_pending
from gaia_adapters.postgres.migrate import head_revision, upgrade_to_head
from gaia_adapters.settings import GaiaSettings

pytestmark = pytest.mark.integration

SECRET = "s3cret-never-shown"


def driver_url(url: str, database: str | None = None) -> str:
    """A plain ``postgresql://`` URL (asyncpg), optionally naming another database on the same server."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.set(database=database or parsed.database).render_as_string(hide_password=False)


def with_password(url: str) -> str:
    """The URL with a password: the test server trusts local connections, so it still connects."""
    return make_url(url).set(password=SECRET).render_as_string(hide_password=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in ("GAIA_POSTGRES_URL", "GAIA_MONGO_URL", "GAIA_DEBUG", "GAIA_MONGO_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(console, "width", 400)  # one line per row: details are asserted as text
    return CliRunner()


@pytest_asyncio.fixture
async def empty_pg(pg_server_url: str) -> AsyncIterator[str]:
    """An empty database of its own on the test server (dropped at the end of the test)."""
    name = f"gaia_doctor_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(driver_url(pg_server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield driver_url(pg_server_url, name)
    admin = await asyncpg.connect(driver_url(pg_server_url))
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await admin.close()


@pytest_asyncio.fixture
async def migrated_pg(empty_pg: str) -> str:
    await upgrade_to_head(empty_pg)
    return empty_pg


@pytest_asyncio.fixture
async def pg_version(pg_server_url: str) -> str:
    conn = await asyncpg.connect(driver_url(pg_server_url))
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


@pytest.fixture
def empty_mongo(mongo_settings: GaiaSettings, sync_mongo_client: MongoClient[dict[str, Any]]) -> Iterator[GaiaSettings]:
    """Settings naming an empty database of its own on the test server (dropped at the end of the test)."""
    settings = mongo_settings.model_copy(update={"mongo_database": f"gaia_doctor_{uuid.uuid4().hex[:12]}"})
    yield settings
    sync_mongo_client.drop_database(settings.mongo_database)


@pytest_asyncio.fixture
async def migrated_mongo(empty_mongo: GaiaSettings, pymongo_client: Any) -> GaiaSettings:
    await run_pending(pymongo_client[empty_mongo.mongo_database])
    return empty_mongo


@pytest.fixture
def mongo_version(sync_mongo_client: MongoClient[dict[str, Any]]) -> str:
    return str(sync_mongo_client.admin.command("buildInfo")["version"])


def mongo_url(settings: GaiaSettings) -> str:
    url = settings.mongo_url_value()
    assert url is not None
    return url


def doctor(runner: CliRunner, *args: str, mongo: GaiaSettings | None = None) -> tuple[int, str]:
    """Run ``gaia-db doctor``; ``mongo`` names the database (GAIA_MONGO_DATABASE) and gives its URL."""
    if mongo is not None:
        args = (*args, "--mongo-url", mongo_url(mongo))
    env = {"GAIA_MONGO_DATABASE": mongo.mongo_database} if mongo is not None else {}
    result = runner.invoke(app, ["doctor", "--timeout", "2", *args], env=env)
    assert SECRET not in result.output
    return result.exit_code, result.output


def row(output: str, database: str, check: str) -> str:
    """The table row of one check as printed: status and detail."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")]
        if len(cells) > 4 and cells[1] == database and cells[2] == check:
            return f"{cells[3]} {cells[4]}"
    raise AssertionError(f"no row {database}/{check} in:\n{output}")


def test_migrated_databases_pass_every_check_and_exit_0(
    runner: CliRunner, migrated_pg: str, migrated_mongo: GaiaSettings, pg_version: str, mongo_version: str
) -> None:
    code, out = doctor(runner, "--postgres-url", with_password(migrated_pg), mongo=migrated_mongo)
    assert code == 0, out
    assert row(out, "PostgreSQL", "connection") == f"OK server {pg_version}, database {make_url(migrated_pg).database}"
    assert row(out, "PostgreSQL", "migrations") == f"OK at head ({head_revision()})"
    assert row(out, "PostgreSQL", "indexes") == "OK all 7 declared indexes present"
    assert row(out, "PostgreSQL", "outbox backlog") == "OK 0 pending, 0 due, 0 dead"
    assert row(out, "MongoDB", "connection") == f"OK server {mongo_version}, database {migrated_mongo.mongo_database}"
    assert row(out, "MongoDB", "migrations") == f"OK all {len(migration_ids())} applied"
    assert row(out, "MongoDB", "indexes") == "OK all 18 declared indexes of 14 collection(s) present"
    assert "postgresql://postgres:***@" in out  # the URL is shown, masked
    assert out.rstrip().endswith("all checks passed")


def test_empty_databases_report_pending_migrations_and_missing_indexes_and_exit_1(
    runner: CliRunner, empty_pg: str, empty_mongo: GaiaSettings, sync_mongo_client: MongoClient[dict[str, Any]]
) -> None:
    code, out = doctor(runner, "--postgres-url", with_password(empty_pg), mongo=empty_mongo)
    assert code == 1, out
    assert row(out, "PostgreSQL", "connection").startswith("OK server ")
    assert row(out, "PostgreSQL", "migrations") == "WARN 2 pending (0001, 0002) at an empty schema: run gaia-db migrate"
    indexes = row(out, "PostgreSQL", "indexes")
    assert indexes.startswith("WARN 7 of 7 missing: ")
    assert "users.uq_users_email_normalized" in indexes
    assert "goals.ix_goals_user_id_created_at_id" in indexes
    assert row(out, "PostgreSQL", "outbox backlog") == "WARN no outbox table (run gaia-db migrate)"
    assert row(out, "MongoDB", "migrations") == f"WARN 2 pending ({', '.join(migration_ids())}): run gaia-db migrate"
    assert row(out, "MongoDB", "indexes") == (
        "OK no collection with declared indexes exists yet (14 declared; "
        "the registry creates them with their indexes on first use)"
    )
    assert out.rstrip().endswith("some checks need attention (exit code 1)")
    # Read-only: examining the empty databases created nothing.
    assert sync_mongo_client[empty_mongo.mongo_database].list_collection_names() == []


async def test_doctor_leaves_an_empty_postgres_database_empty(empty_pg: str) -> None:
    from gaia_adapters.doctor import run_checks

    report = await run_checks(GaiaSettings(postgres_url=empty_pg), connect_timeout=2)
    assert report.exit_code == 1
    conn = await asyncpg.connect(empty_pg)
    try:
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    assert tables == []


async def test_dropped_indexes_are_named(migrated_pg: str, migrated_mongo: GaiaSettings, pymongo_client: Any) -> None:
    from gaia_adapters.doctor import Status, run_checks

    conn = await asyncpg.connect(migrated_pg)
    try:
        await conn.execute("DROP INDEX ix_goals_user_id_created_at_id")
    finally:
        await conn.close()
    conversations = pymongo_client[migrated_mongo.mongo_database][CONVERSATIONS]
    await conversations.drop_index("owner_pinned")
    settings = migrated_mongo.model_copy(update={"postgres_url": GaiaSettings(postgres_url=migrated_pg).postgres_url})
    report = await run_checks(settings, connect_timeout=2)
    by_check = {(r.database, r.check): (r.status, r.detail) for r in report.results}
    assert by_check["PostgreSQL", "indexes"] == (Status.WARN, "1 of 7 missing: goals.ix_goals_user_id_created_at_id")
    assert by_check["MongoDB", "indexes"] == (
        Status.WARN,
        "1 problem(s): conversations.owner_pinned missing "
        "(a process creates missing declared indexes when it first opens the collection)",
    )
    assert by_check["PostgreSQL", "migrations"][0] is Status.OK
    assert report.exit_code == 1


async def test_outbox_backlog_and_dead_events_are_reported_with_errors_masked(migrated_pg: str) -> None:
    from gaia_adapters.doctor import Status, run_checks

    conn = await asyncpg.connect(migrated_pg)
    try:
        await conn.execute(
            """
            INSERT INTO outbox (event_id, event_type, payload, occurred_at, status, attempts, last_error, available_at)
            VALUES (gen_random_uuid(), 'UserRegistered', '{}', now(), 'pending', 0, NULL, now() - interval '10 min'),
                   (gen_random_uuid(), 'UserRegistered', '{}', now(), 'pending', 1, 'late', now() + interval '1 hour'),
                   ($1, 'UserDeleted', '{}', now(), 'dead', 8, $2, now())
            """,
            uuid.UUID("0190f0f0-0000-7000-8000-000000000001"),
            f"StoreUnavailable: mongodb://gaia:{SECRET}@mongo.internal/ timed out",
        )
    finally:
        await conn.close()
    report = await run_checks(GaiaSettings(postgres_url=migrated_pg), connect_timeout=2)
    backlog = next(r for r in report.results if r.check == "outbox backlog")
    assert backlog.status is Status.WARN
    assert backlog.detail.startswith(
        "2 pending, 1 due, 1 dead; inspect and re-queue the dead events: gaia-db relay --retry-dead; "
        "oldest due event waits for "
    )
    assert backlog.detail.endswith(" s: run gaia-db relay")
    assert [(str(e.event_id), e.type_name, e.attempts) for e in report.dead_events] == [
        ("0190f0f0-0000-7000-8000-000000000001", "UserDeleted", 8)
    ]


def test_dead_events_are_listed_by_the_cli_with_errors_masked(runner: CliRunner, migrated_pg: str) -> None:
    import asyncio

    async def add_dead_event() -> None:
        conn = await asyncpg.connect(migrated_pg)
        try:
            await conn.execute(
                "INSERT INTO outbox (event_id, event_type, payload, occurred_at, status, attempts, last_error) "
                "VALUES ('0190f0f0-0000-7000-8000-000000000002', 'UserDeleted', '{}', now(), 'dead', 8, $1)",
                f"StoreUnavailable: mongodb://gaia:{SECRET}@mongo.internal/ timed out",
            )
        finally:
            await conn.close()

    asyncio.run(add_dead_event())
    code, out = doctor(runner, "--postgres-url", migrated_pg)
    assert code == 1, out
    assert "Dead outbox events" in out
    dead_row = next(line for line in out.splitlines() if "0190f0f0-0000-7000-8000-000000000002" in line)
    assert "UserDeleted" in dead_row
    assert "StoreUnavailable: mongodb://gaia:***@mongo.internal/ timed out" in dead_row


def test_unreachable_servers_exit_2_with_passwords_masked(runner: CliRunner) -> None:
    pg = f"postgresql://gaia:{SECRET}@127.0.0.1:{free_port()}/gaia"
    mongo = f"mongodb://gaia:{SECRET}@127.0.0.1:{free_port()}/"
    code, out = doctor(runner, "--postgres-url", pg, "--mongo-url", mongo)
    assert code == 2, out
    assert row(out, "PostgreSQL", "connection").startswith("FAIL unreachable: ")
    assert row(out, "MongoDB", "connection").startswith("FAIL unreachable: ")
    assert "postgresql://gaia:***@127.0.0.1" in out
    assert "mongodb://gaia:***@127.0.0.1" in out
    assert "migrations" not in out  # nothing else is attempted on a server that cannot be reached
    assert out.rstrip().endswith("a database is unreachable (exit code 2)")


def test_a_database_that_does_not_exist_is_named_as_the_adapter_names_it(runner: CliRunner, pg_server_url: str) -> None:
    missing = make_url(pg_server_url).set(database=f"gaia_missing_{uuid.uuid4().hex[:8]}")
    code, out = doctor(runner, "--json", "--postgres-url", missing.render_as_string(hide_password=False))
    assert code == 2, out
    assert json.loads(out)["checks"][0]["detail"] == (
        f'unreachable: 3D000: database "{missing.database}" does not exist '
        "(create it first: createdb, then gaia-db migrate)"
    )


def test_one_unreachable_server_still_checks_the_other(
    runner: CliRunner, migrated_mongo: GaiaSettings, pg_server_url: str
) -> None:
    pg = f"postgresql://gaia:{SECRET}@127.0.0.1:{free_port()}/gaia"
    code, out = doctor(runner, "--postgres-url", pg, mongo=migrated_mongo)
    assert code == 2, out
    assert row(out, "PostgreSQL", "connection").startswith("FAIL unreachable: ")
    assert row(out, "MongoDB", "migrations") == f"OK all {len(migration_ids())} applied"


async def test_databases_ahead_of_this_code_are_named(migrated_pg: str, migrated_mongo: GaiaSettings) -> None:
    """A database migrated by newer code: PostgreSQL cannot be compared (FAIL), MongoDB notes the unknown id."""
    from gaia_adapters.doctor import Status, run_checks
    from gaia_adapters.mongo.collections import MIGRATIONS

    conn = await asyncpg.connect(migrated_pg)
    try:
        await conn.execute("UPDATE gaia_alembic_version SET version_num = '9999_from_the_future'")
    finally:
        await conn.close()
    sync = MongoClient[dict[str, Any]](mongo_url(migrated_mongo))
    try:
        sync[migrated_mongo.mongo_database][MIGRATIONS].insert_one({"_id": "9999_from_the_future"})
    finally:
        sync.close()
    settings = migrated_mongo.model_copy(update={"postgres_url": GaiaSettings(postgres_url=migrated_pg).postgres_url})
    report = await run_checks(settings, connect_timeout=2)
    by_check = {(r.database, r.check): (r.status, r.detail) for r in report.results}
    status, detail = by_check["PostgreSQL", "migrations"]
    assert status is Status.FAIL
    assert detail.startswith("cannot compare with the shipped migrations: ResolutionError: ")
    assert "9999_from_the_future" in detail
    assert by_check["MongoDB", "migrations"] == (
        Status.OK,
        f"all {len(migration_ids())} applied; recorded but not shipped here: 9999_from_the_future (newer code?)",
    )
    assert report.exit_code == 1


def test_json_report_of_unreachable_servers(runner: CliRunner) -> None:
    pg = f"postgresql://gaia:{SECRET}@127.0.0.1:{free_port()}/gaia"
    code, out = doctor(runner, "--json", "--postgres-url", pg)
    assert code == 2
    data = json.loads(out)
    assert data["backend"] == "postgres"
    assert data["exit_code"] == 2
    assert [(c["database"], c["check"], c["status"]) for c in data["checks"]] == [("PostgreSQL", "connection", "FAIL")]
    assert data["checks"][0]["detail"].startswith("unreachable: ")
