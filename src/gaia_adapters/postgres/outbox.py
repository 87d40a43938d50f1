"""The Outbox port on PostgreSQL: events go into the ``outbox`` table inside the unit of work's transaction.

The relay (another module) drains the table after commit; see ``tables.outbox`` for the columns it uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gaia_adapters.postgres import rows, sql
from gaia_adapters.postgres.driver import DriverConnection
from gaia_domain.events import Event

if TYPE_CHECKING:
    from gaia_adapters.postgres.unit_of_work import PostgresUnitOfWork


class PostgresOutbox:
    __slots__ = ("_uow",)

    def __init__(self, uow: PostgresUnitOfWork) -> None:
        self._uow = uow

    async def add(self, events: Sequence[Event]) -> None:
        """Write ``events`` now, in the open transaction (an event id already stored is skipped)."""
        conn = self._uow.connection()
        if events:
            # Encoding checks every event against its declared field types: InvalidInput before any SQL is sent,
            # so nothing is written and the transaction stays usable (as in memory); the caller's rollback follows.
            columns = rows.event_columns(events)
            await self._uow.run(self._insert(conn, columns), "outbox event", events[0].event_id.value)

    async def write(self, conn: DriverConnection, events: Sequence[Event]) -> None:
        await self._insert(conn, rows.event_columns(events))

    async def _insert(self, conn: DriverConnection, columns: tuple[Sequence[object], ...]) -> None:
        self._uow.wrote(await conn.fetchval(sql.INSERT_EVENTS, *columns))
