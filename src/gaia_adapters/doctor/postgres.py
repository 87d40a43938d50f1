"""PostgreSQL checks: reachable and its version, migrations at head, declared indexes present, outbox backlog.

Read-only: the doctor never changes the database it examines. Every detail is masked (no password).
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from dataclasses import dataclass

from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from gaia_adapters.doctor.report import CheckResult, error_text, fail, ok, warn
from gaia_adapters.postgres.engine import PostgresUrlError, asyncpg_url
from gaia_adapters.postgres.migrate import current_revision, pending_revisions
from gaia_adapters.postgres.tables import metadata as gaia_metadata
from gaia_domain.errors import DomainError

DATABASE = "PostgreSQL"
# A due event older than this was not dispatched after its commit: the relay is not keeping up (or not running).
DUE_GRACE_SECONDS = 60.0


def expected_indexes(metadata: MetaData = gaia_metadata) -> dict[str, set[str]]:
    """Index names per table that the schema declares: primary keys, unique constraints and indexes."""
    expected: dict[str, set[str]] = {}
    for table in metadata.sorted_tables:
        names = {str(index.name) for index in table.indexes if index.name}
        if table.primary_key.columns and table.primary_key.name:
            names.add(str(table.primary_key.name))
        names.update(
            str(constraint.name)
            for constraint in table.constraints
            if constraint.name and constraint.__visit_name__ == "unique_constraint"
        )
        expected[table.name] = names
    return expected


def missing_indexes(expected: dict[str, set[str]], present: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """``{table: [missing index names]}`` for the tables that lack some (``present``: (table, index) pairs)."""
    found: dict[str, set[str]] = {}
    for table, index in present:
        found.setdefault(table, set()).add(index)
    missing = {table: sorted(names - found.get(table, set())) for table, names in expected.items()}
    return {table: names for table, names in missing.items() if names}


@dataclass(frozen=True)
class OutboxBacklog:
    pending: int  # not dispatched yet (due now or waiting for a retry)
    due: int  # pending and due now
    dead: int  # parked after too many attempts
    oldest_due_seconds: float | None  # how long the oldest due event has been waiting


_BACKLOG = text(
    """
    SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
           count(*) FILTER (WHERE status = 'pending' AND available_at <= now()) AS due,
           count(*) FILTER (WHERE status = 'dead') AS dead,
           extract(epoch FROM now() - min(available_at) FILTER (WHERE status = 'pending' AND available_at <= now()))
             AS oldest_due_seconds
    FROM outbox
    """
)


async def outbox_backlog(connection: AsyncConnection) -> OutboxBacklog | None:
    """The outbox counts, or None when there is no outbox table (the schema is not migrated)."""
    if (await connection.scalar(text("SELECT to_regclass('outbox')"))) is None:
        return None
    row = (await connection.execute(_BACKLOG)).one()
    oldest = float(row.oldest_due_seconds) if row.oldest_due_seconds is not None else None
    return OutboxBacklog(int(row.pending), int(row.due), int(row.dead), oldest)


def judge_backlog(backlog: OutboxBacklog | None, *, grace_seconds: float = DUE_GRACE_SECONDS) -> CheckResult:
    check = "outbox backlog"
    if backlog is None:
        return warn(DATABASE, check, "no outbox table (run gaia-db migrate)")
    counts = f"{backlog.pending} pending, {backlog.due} due, {backlog.dead} dead"
    advice = []
    if backlog.dead:
        advice.append("inspect and re-queue the dead events: gaia-db relay --retry-dead")
    late = backlog.oldest_due_seconds is not None and backlog.oldest_due_seconds > grace_seconds
    if late:
        advice.append(f"oldest due event waits for {backlog.oldest_due_seconds:.0f} s: run gaia-db relay")
    if advice:
        return warn(DATABASE, check, f"{counts}; " + "; ".join(advice))
    return ok(DATABASE, check, counts)


async def _connectivity(connection: AsyncConnection) -> CheckResult:
    version = await connection.scalar(text("SHOW server_version"))
    database = await connection.scalar(text("SELECT current_database()"))
    return ok(DATABASE, "connection", f"server {version}, database {database}")


async def _migrations(url: str) -> CheckResult:
    check = "migrations"
    try:
        current = await current_revision(url)
        pending = await pending_revisions(url)
    except DomainError as exc:  # for example a revision this code does not know (the database is newer)
        return fail(DATABASE, check, f"cannot compare with the shipped migrations: {exc}")
    if pending:
        at = current or "an empty schema"
        return warn(DATABASE, check, f"{len(pending)} pending ({', '.join(pending)}) at {at}: run gaia-db migrate")
    return ok(DATABASE, check, f"at head ({current})")


_PRESENT = text("SELECT tablename, indexname FROM pg_indexes WHERE schemaname = current_schema()")


async def _indexes(connection: AsyncConnection) -> CheckResult:
    expected = expected_indexes()
    present = [(row.tablename, row.indexname) for row in await connection.execute(_PRESENT)]
    missing = missing_indexes(expected, present)
    total = sum(len(names) for names in expected.values())
    if not missing:
        return ok(DATABASE, "indexes", f"all {total} declared indexes present")
    listed = ", ".join(f"{table}.{name}" for table, names in missing.items() for name in names)
    count = sum(len(names) for names in missing.values())
    return warn(DATABASE, "indexes", f"{count} of {total} missing: {listed} (run gaia-db migrate)")


async def _backlog(connection: AsyncConnection) -> CheckResult:
    return judge_backlog(await outbox_backlog(connection))


async def _guarded(check: str, work: Awaitable[CheckResult]) -> CheckResult:
    """A check that raised is a FAIL of that check; the others still run."""
    try:
        return await work
    except Exception as exc:  # noqa: BLE001 - reported in the table, masked
        return fail(DATABASE, check, error_text(exc))


async def postgres_checks(url: str, *, connect_timeout: float) -> list[CheckResult]:
    """Every PostgreSQL check; when the server cannot be reached, only that (a FAIL marked unreachable)."""
    try:
        sa_url, connect_args = asyncpg_url(url)
    except PostgresUrlError as exc:
        return [fail(DATABASE, "connection", str(exc), unreachable=True)]
    connect_args["timeout"] = connect_timeout
    connect_args["command_timeout"] = connect_timeout
    engine = create_async_engine(sa_url, poolclass=NullPool, connect_args=connect_args)
    try:
        try:
            connection = await engine.connect()
        except Exception as exc:  # noqa: BLE001 - any driver or network error: the server is unreachable
            return [fail(DATABASE, "connection", f"unreachable: {error_text(exc)}", unreachable=True)]
        try:
            # Autocommit: a failing check's statement does not abort the transaction the next check needs.
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            return [
                await _guarded("connection", _connectivity(connection)),
                await _guarded("migrations", _migrations(url)),
                await _guarded("indexes", _indexes(connection)),
                await _guarded("outbox backlog", _backlog(connection)),
            ]
        finally:
            await connection.close()
    finally:
        await engine.dispose()
