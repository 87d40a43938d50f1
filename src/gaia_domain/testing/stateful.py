"""Stateful Hypothesis machines that drive a port through random operation sequences.

Every operation runs on a *subject* and on a *reference* and both outcomes (value or domain error
type and field) must agree, step by step. The same machine serves two purposes:

* a fake against the simple reference models of :mod:`gaia_domain.testing.reference` (the default), and
* a real adapter against the fake, e.g. ``conversation_store_machine(runner, mongo_store, memory_store)``.

The machine does not use pytest-asyncio's loop: pass an :class:`asyncio.Runner` that outlives all
examples (real adapters bind connections to one loop). Each factory is a callable returning an
async context manager that yields the port over an EMPTY store and cleans it up on exit; it is
entered and left inside the runner once per example. Run the returned class with
``hypothesis.stateful.run_state_machine_as_test(machine, settings=...)``::

    with asyncio.Runner() as runner:
        machine = conversation_store_machine(runner, subject=my_store)
        run_state_machine_as_test(machine, settings=settings(max_examples=50, stateful_step_count=30))
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from hypothesis.stateful import RuleBasedStateMachine

from gaia_domain.ports import ConversationStore
from gaia_domain.testing.contracts._base import UnitOfWorkFactory
from gaia_domain.testing.machines._paired import PortFactory
from gaia_domain.testing.machines.conversations import ConversationStoreMachine
from gaia_domain.testing.machines.relational import UnitOfWorkMachine
from gaia_domain.testing.reference import ReferenceConversationStore, ReferenceDatabase, ReferenceUnitOfWork


@asynccontextmanager
async def reference_conversation_store() -> AsyncIterator[ConversationStore]:
    yield ReferenceConversationStore()


@asynccontextmanager
async def reference_unit_of_work() -> AsyncIterator[UnitOfWorkFactory]:
    database = ReferenceDatabase()
    yield lambda: ReferenceUnitOfWork(database)


def conversation_store_machine(
    runner: asyncio.Runner,
    subject: PortFactory[ConversationStore],
    reference: PortFactory[ConversationStore] = reference_conversation_store,
) -> type[RuleBasedStateMachine]:
    """A machine comparing ``subject``'s ConversationStore with ``reference``'s."""
    return type(
        "ConversationStoreComparison",
        (ConversationStoreMachine,),
        {"runner": runner, "subject_factory": staticmethod(subject), "reference_factory": staticmethod(reference)},
    )


def unit_of_work_machine(
    runner: asyncio.Runner,
    subject: PortFactory[UnitOfWorkFactory],
    reference: PortFactory[UnitOfWorkFactory] = reference_unit_of_work,
) -> type[RuleBasedStateMachine]:
    """A machine comparing users and goals through ``subject``'s units of work with ``reference``'s.

    The factories yield a ``Callable[[], UnitOfWork]`` over an empty database.
    """
    return type(
        "UnitOfWorkComparison",
        (UnitOfWorkMachine,),
        {"runner": runner, "subject_factory": staticmethod(subject), "reference_factory": staticmethod(reference)},
    )
