"""The UnitOfWork port in memory: real rollback, savepoints, validated commit, events to the outbox."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import TracebackType
from typing import Self

from gaia_adapters.memory.database import MemoryDatabase
from gaia_adapters.memory.goals import MemoryGoalRepository
from gaia_adapters.memory.outbox import MemoryOutbox
from gaia_adapters.memory.transaction import Transaction
from gaia_adapters.memory.users import MemoryUserRepository
from gaia_domain.errors import DomainError, UnitOfWorkError
from gaia_domain.events import Event
from gaia_domain.ports import UnitOfWorkState


class MemoryUnitOfWork:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db
        self._state = UnitOfWorkState.NEW
        self._tx: Transaction | None = None
        self._savepoints: list[bool] = []  # one per nested block: True once its savepoint was released
        self._committed_events: tuple[Event, ...] = ()
        self.users = MemoryUserRepository(self._transaction)
        self.goals = MemoryGoalRepository(self._transaction)
        self.outbox = MemoryOutbox(self._transaction)

    @property
    def state(self) -> UnitOfWorkState:
        return self._state

    @property
    def committed_events(self) -> Sequence[Event]:
        return self._committed_events

    def _transaction(self) -> Transaction:
        if self._state is not UnitOfWorkState.OPEN or self._tx is None:
            raise UnitOfWorkError(f"the unit of work is {self._state.value}, not open")
        return self._tx

    async def __aenter__(self) -> Self:
        if self._state is UnitOfWorkState.NEW:
            self._tx = Transaction(self._db)
            self._state = UnitOfWorkState.OPEN
        elif self._state is UnitOfWorkState.OPEN:
            self._transaction().savepoint()
            self._savepoints.append(False)
        else:
            raise UnitOfWorkError(f"a unit of work is used once; this one is {self._state.value}")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._savepoints:
            released = self._savepoints.pop()
            if not released and self._state is UnitOfWorkState.OPEN:
                self._transaction().rollback_to_savepoint()
            return
        if self._state is UnitOfWorkState.OPEN:
            self._discard()

    async def commit(self) -> None:
        tx = self._transaction()
        if self._savepoints:
            if self._savepoints[-1]:
                raise UnitOfWorkError("this savepoint was already released")
            tx.release_savepoint()
            self._savepoints[-1] = True
            return
        await asyncio.sleep(0)  # the COMMIT round trip; a cancellation here leaves nothing stored
        events = tx.pending_events()
        await self.outbox.add(events)
        try:
            tx.commit()
        except DomainError:
            self._discard()
            raise
        self._tx, self._state, self._committed_events = None, UnitOfWorkState.COMMITTED, tuple(events)

    async def rollback(self) -> None:
        tx = self._transaction()
        if self._savepoints:
            tx.rollback_to_savepoint()
            tx.savepoint()  # like ROLLBACK TO SAVEPOINT: the savepoint stays established
            return
        self._discard()

    def _discard(self) -> None:
        self._tx, self._state = None, UnitOfWorkState.ROLLED_BACK
