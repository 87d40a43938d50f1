"""PostgreSQL checks: reachable and its version, migrations at head, declared indexes present, outbox backlog.

Read-only: the doctor never changes the database it examines. Every detail is masked (no password).
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from gaia_adapters.doctor.report import CheckResult, error_text, fail, ok, warn
from gaia_adapters.postgres.engine import PostgresUrlError, asyncpg_url
from gaia_adapters.postgres.errors import unavailable
from gaia_adapters.postgres.migrate import current_revision, pending_revisions
from gaia_adapters.postgres.outbox_relay import PostgresOutboxRelayStore
from gaia_adapters.postgres.tables import metadata as gaia_metadata
from gaia_adapters.relay.store import Backlog, DeadEvent
from gaia_domain.errors import StoreUnavailable

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


DEAD_LISTED = 20  # dead events shown by the report (the oldest first)


async def outbox_table_exists(connection: AsyncConnection) -> bool:
    return (await connection.scalar(text("SELECT to_regclass('outbox')"))) is not None


def judge_backlog(backlog: Backlog | None, *, grace_seconds: float = DUE_GRACE_SECONDS) -> CheckResult:
    """OK unless events are dead or due events wait longer than ``grace_seconds`` (None: no outbox table)."""
    check = "outbox backlog"
    if backlog is None:
        return warn(DATABASE, check, "no outbox table (run gaia-db migrate)")
    counts = f"{backlog.pending} pending, {backlog.due} due, {backlog.dead} dead"
    advice = []
    if backlog.dead:
        advice.append("inspect and re-queue the dead events: gaia-db relay --retry-dead")
    waiting = backlog.oldest_due_age
    if waiting is not None and waiting > grace_seconds:
        advice.append(f"oldest due event waits for {waiting:.0f} s: run gaia-db relay")
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
    except StoreUnavailable as exc:  # for example a revision this code does not know (the database is newer)
        return fail(DATABASE, check, f"cannot compare with the shipped migrations: {exc.reason}")
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
    return warn(DATABASE, "indexes", f"{count} of {total} missing: {listed}")


@dataclass
class _Outbox:
    """The outbox as the relay's own store sees it (the same SQL the relay uses to decide what is due)."""

    engine: AsyncEngine
    dead: Sequence[DeadEvent] = ()

    async def check(self, connection: AsyncConnection) -> CheckResult:
        if not await outbox_table_exists(connection):
            return judge_backlog(None)
        store = PostgresOutboxRelayStore(self.engine)
        backlog = await store.backlog()
        if backlog.dead:
            self.dead = await store.list_dead(DEAD_LISTED)
        return judge_backlog(backlog)


async def _guarded(check: str, work: Awaitable[CheckResult]) -> CheckResult:
    """A check that raised is a FAIL of that check; the others still run."""
    try:
        return await work
    except Exception as exc:  # noqa: BLE001 - reported in the table, masked
        return fail(DATABASE, check, error_text(exc))


@dataclass(frozen=True)
class PostgresFindings:
    results: list[CheckResult]
    dead_events: Sequence[DeadEvent]  # the oldest dead outbox events (at most DEAD_LISTED)


def _connect_error(exc: BaseException, limit: int = 300) -> str:
    """What the adapter says of the same failure (``3D000: database "x" does not exist (create it first: ...)``,
    SQLAlchemy's wrappers removed), as one masked line."""
    reason = " ".join(unavailable(exc).reason.split())
    return reason if len(reason) <= limit else reason[: limit - 1] + "…"


async def postgres_checks(url: str, *, connect_timeout: float) -> PostgresFindings:
    """Every PostgreSQL check; when the server cannot be reached, only that (a FAIL marked unreachable)."""
    try:
        sa_url, connect_args = asyncpg_url(url)
    except PostgresUrlError as exc:
        return PostgresFindings([fail(DATABASE, "connection", str(exc), unreachable=True)], ())
    connect_args["timeout"] = connect_timeout
    connect_args["command_timeout"] = connect_timeout
    engine = create_async_engine(sa_url, poolclass=NullPool, connect_args=connect_args)
    try:
        try:
            connection = await engine.connect()
        except Exception as exc:  # noqa: BLE001 - any driver or network error: the server is unreachable
            unreachable = fail(DATABASE, "connection", f"unreachable: {_connect_error(exc)}", unreachable=True)
            return PostgresFindings([unreachable], ())
        outbox = _Outbox(engine)
        try:
            # Autocommit: a failing check's statement does not abort the transaction the next check needs.
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            results = [
                await _guarded("connection", _connectivity(connection)),
                await _guarded("migrations", _migrations(url)),
                await _guarded("indexes", _indexes(connection)),
                await _guarded("outbox backlog", outbox.check(connection)),
            ]
        finally:
            await connection.close()
        return PostgresFindings(results, outbox.dead)
    finally:
        await engine.dispose()
