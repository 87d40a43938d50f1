"""The UnitOfWork port on PostgreSQL: one pooled connection, one transaction, savepoints when nested.

The connection comes from SQLAlchemy's pool (``AsyncEngine.raw_connection``); the statements run on the
asyncpg connection underneath (see ``sql.py`` for why). The transaction is driven with plain
``BEGIN`` / ``COMMIT`` / ``ROLLBACK``, so this class alone knows its state.

Returning the connection clean is the point of K03: whatever ends the unit of work (commit, an
exception, leaving without commit, a cancellation of the task), the ROLLBACK and the check-in run to the
end in a task of their own, shielded from further cancellation; a connection that cannot be proven clean
(ROLLBACK failed or timed out, still in a transaction) is discarded from the pool instead of returned.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn

from gaia_adapters.postgres import errors, sql
from gaia_adapters.postgres.driver import DriverConnection
from gaia_adapters.postgres.lifecycle import ensure_open
from gaia_adapters.postgres.outbox import PostgresOutbox
from gaia_adapters.postgres.repositories import PostgresGoalRepository, PostgresUserRepository
from gaia_domain.errors import DomainError, UnitOfWorkError
from gaia_domain.events import Event
from gaia_domain.goals import Goal
from gaia_domain.ports import UnitOfWorkState
from gaia_domain.users import User

# A dead pooled connection is noticed at BEGIN and replaced: at least this many tries, and enough to go
# through every idle connection of the pool and then a fresh one.
_BEGIN_ATTEMPTS = 3
# How long the rollback of an abandoned transaction may take before the connection is discarded instead.
CLEANUP_TIMEOUT = 10.0


@dataclass
class _Savepoint:
    name: str
    seen: int  # how many aggregates were tracked when it was taken
    released: bool = False


class PostgresUnitOfWork:
    __slots__ = (
        "_aborted",
        "_cleanup_timeout",
        "_committed_events",
        "_conn",
        "_engine",
        "_pooled",
        "_savepoints",
        "_seen",
        "_state",
        "_xid",
        "user_keys",
    )

    def __init__(self, engine: AsyncEngine, *, cleanup_timeout: float = CLEANUP_TIMEOUT) -> None:
        self._engine = engine
        self._cleanup_timeout = cleanup_timeout
        self._state = UnitOfWorkState.NEW
        self._pooled: PoolProxiedConnection | None = None
        self._conn: DriverConnection | None = None
        self._savepoints: list[_Savepoint] = []
        self._aborted: BaseException | None = None  # a server error aborted the transaction
        self._xid: str | None = None  # the transaction id, once a statement wrote something
        self._seen: list[User | Goal] = []
        self._committed_events: tuple[Event, ...] = ()
        self.user_keys: dict[object, tuple[str, str | None]] = {}  # unique keys as stored, by user id

    # -- the port ---------------------------------------------------------------------------------------------

    # The repositories are made on access and the unit of work does not keep them: a stored repository would
    # point back to it, a reference cycle that only the garbage collector frees (measurable on the hot path).

    @property
    def users(self) -> PostgresUserRepository:
        return PostgresUserRepository(self)

    @property
    def goals(self) -> PostgresGoalRepository:
        return PostgresGoalRepository(self)

    @property
    def outbox(self) -> PostgresOutbox:
        return PostgresOutbox(self)

    @property
    def state(self) -> UnitOfWorkState:
        return self._state

    @property
    def committed_events(self) -> Sequence[Event]:
        return self._committed_events

    async def __aenter__(self) -> Self:
        if self._state is UnitOfWorkState.NEW:
            await self._begin()
            self._state = UnitOfWorkState.OPEN
        elif self._state is UnitOfWorkState.OPEN:
            conn = self.connection()
            savepoint = _Savepoint(f"gaia_sp_{len(self._savepoints) + 1}", len(self._seen))
            await self.run(conn.execute(f"SAVEPOINT {savepoint.name}"), "savepoint", savepoint.name)
            self._savepoints.append(savepoint)
        else:
            raise UnitOfWorkError(f"a unit of work is used once; this one is {self._state.value}")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._savepoints:
            savepoint = self._savepoints.pop()
            if savepoint.released or self._state is not UnitOfWorkState.OPEN:
                return
            try:
                await self._rollback_to(savepoint, keep=False)
            except DomainError:
                if exc is None:
                    raise  # otherwise the block's own exception is the one to see
            return
        if self._state is UnitOfWorkState.OPEN:
            self._state = UnitOfWorkState.ROLLED_BACK
            await self._release(rollback=True)

    async def commit(self) -> None:
        conn = self.connection()
        if self._savepoints:
            savepoint = self._savepoints[-1]
            if savepoint.released:
                raise UnitOfWorkError("this savepoint was already released")
            await self.run(conn.execute(f"RELEASE SAVEPOINT {savepoint.name}"), "savepoint", savepoint.name)
            savepoint.released = True
            return
        events = [event for aggregate in self._seen for event in aggregate.events]
        if events:
            try:
                await PostgresOutbox(self).write(conn, events)
            except Exception as error:
                self._state = UnitOfWorkState.ROLLED_BACK
                await self._release(rollback=True)
                raise errors.translate(error, "outbox event", events[0].event_id.value) from error
        try:
            await conn.execute(sql.COMMIT)
        except asyncio.CancelledError:
            # asyncpg asked the server to cancel the COMMIT; whether it still committed is the server's answer.
            await _protected(self._settle_cancelled_commit(conn, events))
            raise
        except Exception as error:
            # The transaction is over either way (PostgreSQL ends a failed COMMIT with a rollback).
            self._state = UnitOfWorkState.ROLLED_BACK
            await self._release(rollback=True)
            raise errors.translate(error, "transaction", "commit") from error
        self._committed(events)
        # Not shielded: checking a clean connection in does not wait for the server, and if the pool must
        # close one (overflow) SQLAlchemy's check-in handles a cancellation itself.
        await self._release_now(rollback=False)

    def _committed(self, events: list[Event]) -> None:
        for aggregate in self._seen:
            aggregate.events.clear()
        self._state, self._committed_events = UnitOfWorkState.COMMITTED, tuple(events)

    async def _settle_cancelled_commit(self, conn: DriverConnection, events: list[Event]) -> None:
        committed = False
        if self._xid is not None:  # a transaction that wrote nothing has nothing to have committed
            try:  # asyncpg runs this only once the server has answered the cancelled COMMIT
                status = await conn.fetchval(sql.XACT_STATUS, self._xid, timeout=self._cleanup_timeout)
                committed = status == "committed"
            except Exception:  # noqa: BLE001 - the connection is unusable: ask on another one
                committed = await self._xact_committed_elsewhere(self._xid)
        if committed:
            self._committed(events)
        else:
            self._state = UnitOfWorkState.ROLLED_BACK
        await self._release_now(rollback=not committed)

    async def _xact_committed_elsewhere(self, xid: str) -> bool:
        try:
            pooled = await self._engine.raw_connection()
        except Exception:  # noqa: BLE001 - no way to learn the outcome: report it as not committed
            return False
        try:
            conn: DriverConnection = pooled.driver_connection  # type: ignore[assignment]
            status = await conn.fetchval(sql.XACT_STATUS, xid, timeout=self._cleanup_timeout)
            return bool(status == "committed")
        except Exception:  # noqa: BLE001 - as above
            return False
        finally:
            await greenlet_spawn(pooled.close)

    async def rollback(self) -> None:
        if self._state is not UnitOfWorkState.OPEN:
            raise UnitOfWorkError(f"the unit of work is {self._state.value}, not open")
        if self._savepoints:
            await self._rollback_to(self._savepoints[-1], keep=True)
            return
        self._state = UnitOfWorkState.ROLLED_BACK
        await self._release(rollback=True)

    # -- for the repositories ---------------------------------------------------------------------------------

    def connection(self) -> DriverConnection:
        """The open transaction's connection; ``UnitOfWorkError`` unless statements may run now."""
        if self._state is not UnitOfWorkState.OPEN or self._conn is None:
            raise UnitOfWorkError(f"the unit of work is {self._state.value}, not open")
        if self._aborted is not None:
            raise UnitOfWorkError(
                "an earlier database error aborted this transaction; leave the block to roll it back"
            ) from self._aborted
        return self._conn

    def wrote(self, xid: str | None) -> None:
        """Record the transaction id a write statement returned."""
        if self._xid is None:
            self._xid = xid

    def track(self, aggregate: User | Goal) -> None:
        """Collect this aggregate's events at commit (the same object once)."""
        for seen in self._seen:
            if seen is aggregate:
                return
        self._seen.append(aggregate)

    async def run(self, statement: Coroutine[Any, Any, Any], entity: str, key: object) -> Any:
        """Await a driver call; its error becomes a domain error and marks the transaction aborted."""
        try:
            return await statement
        except Exception as error:
            self._aborted = error
            raise errors.translate(error, entity, key) from error

    def failed(self, error: BaseException, entity: str, key: object) -> DomainError:
        """For repositories that await the driver directly: mark the transaction aborted, map the error."""
        self._aborted = error
        return errors.translate(error, entity, key)

    # -- connection lifecycle ---------------------------------------------------------------------------------

    async def _begin(self) -> None:
        ensure_open(self._engine)
        attempt, limit = 0, _BEGIN_ATTEMPTS
        while True:
            attempt += 1
            try:
                pooled = await self._engine.raw_connection()
            except Exception as error:
                raise errors.unavailable(error) from error
            conn: DriverConnection = pooled.driver_connection  # type: ignore[assignment]
            try:
                await conn.execute(sql.BEGIN)
            except BaseException as error:
                await _protected(_close(pooled, conn, rollback=True, limit=self._cleanup_timeout))
                if attempt == 1:  # after a server restart every idle pooled connection may be dead
                    limit = max(limit, _idle_connections(self._engine) + 2)
                if isinstance(error, Exception) and attempt < limit:
                    # The pre-ping: nothing has happened in this transaction yet, so a connection that fails
                    # here (it died in the pool, or the server ended the session) is replaced and BEGIN retried.
                    continue
                if isinstance(error, Exception):
                    raise errors.unavailable(error) from error
                raise
            self._pooled, self._conn = pooled, conn
            return

    async def _rollback_to(self, savepoint: _Savepoint, *, keep: bool) -> None:
        conn = self._conn
        assert conn is not None
        statement = f"ROLLBACK TO SAVEPOINT {savepoint.name}"
        if not keep:
            statement += f"; RELEASE SAVEPOINT {savepoint.name}"
        try:
            await conn.execute(statement)
        except Exception as error:
            self._aborted = error
            raise errors.translate(error, "savepoint", savepoint.name) from error
        self._aborted = None  # the transaction is usable again
        del self._seen[savepoint.seen :]
        self.user_keys.clear()

    async def _release(self, *, rollback: bool) -> None:
        await _protected(self._release_now(rollback=rollback))

    async def _release_now(self, *, rollback: bool) -> None:
        pooled, conn = self._pooled, self._conn
        self._pooled = self._conn = None
        self._savepoints.clear()
        if pooled is not None and conn is not None:
            await _close(pooled, conn, rollback=rollback, limit=self._cleanup_timeout)


def _idle_connections(engine: AsyncEngine) -> int:
    checkedin = getattr(engine.pool, "checkedin", None)
    return int(checkedin()) if callable(checkedin) else 0


async def _close(pooled: PoolProxiedConnection, conn: DriverConnection, *, rollback: bool, limit: float) -> None:
    """End the transaction if asked, then check the connection in; discard it if it cannot be proven clean."""
    clean = False
    try:
        if rollback and not conn.is_closed():
            await conn.execute(sql.ROLLBACK, timeout=limit)
        clean = not conn.is_closed() and not conn.is_in_transaction()
    except Exception:  # noqa: BLE001 - a connection that failed to roll back is discarded below, not reused
        clean = False
    finally:
        if not clean:
            pooled.invalidate()  # terminates the socket; the pool opens a fresh connection later
        await greenlet_spawn(pooled.close)


async def _protected(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` to the end even if the calling task is cancelled meanwhile; then re-raise the cancellation."""
    task = asyncio.ensure_future(work)
    cancelled = False
    while not task.done():
        try:
            await asyncio.wait((task,))  # unlike awaiting the task, a cancellation here does not reach it
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        if not task.cancelled():
            task.exception()  # retrieved: the cancellation is what the caller sees
        raise asyncio.CancelledError
    task.result()
