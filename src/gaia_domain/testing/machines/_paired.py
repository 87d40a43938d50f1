"""A state machine that runs every operation on two implementations of a port and compares what it sees."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, ClassVar, Generic, TypeVar

from hypothesis import event, note
from hypothesis.stateful import RuleBasedStateMachine

from gaia_domain.errors import DomainError
from gaia_domain.pagination import Page

P = TypeVar("P")
T = TypeVar("T")
PortFactory = Callable[[], AbstractAsyncContextManager[P]]
Outcome = tuple[str, object]


def describe(error: DomainError) -> str:
    """What must agree between implementations: the error type and, for bad input, the field."""
    field = getattr(error, "field", None)
    return f"{type(error).__name__}({field})" if field else type(error).__name__


async def observe(call: Awaitable[T]) -> Outcome:
    """The value, or the domain error; any other exception is a bug and propagates."""
    try:
        return ("ok", await call)
    except DomainError as error:
        return ("error", describe(error))


async def walk(fetch: Callable[[str | None], Awaitable[Page[T]]]) -> tuple[list[T], int]:
    """All items of a keyset list and how many pages it took."""
    items: list[T] = []
    cursor: str | None = None
    for pages in range(1, 1000):
        page = await fetch(cursor)
        items.extend(page.items)
        if page.next_cursor is None:
            return items, pages
        cursor = page.next_cursor
    raise AssertionError("the pages never ended")


class PairedMachine(RuleBasedStateMachine, Generic[P]):
    """Subclasses get ``runner``, ``subject_factory`` and ``reference_factory`` from a factory function.

    Each example enters a fresh subject and reference (empty stores) inside ``runner`` and leaves
    them at teardown. The runner outlives the examples: real adapters bind connections to its loop.
    """

    runner: ClassVar[asyncio.Runner]
    subject_factory: ClassVar[PortFactory[Any]]
    reference_factory: ClassVar[PortFactory[Any]]

    def __init__(self) -> None:
        super().__init__()
        self._contexts: list[AbstractAsyncContextManager[P]] = []
        self.subject: P = self._enter(type(self).subject_factory)
        self.reference: P = self._enter(type(self).reference_factory)

    def _enter(self, factory: PortFactory[P]) -> P:
        context = factory()
        port = self.runner.run(context.__aenter__())
        self._contexts.append(context)
        return port

    def teardown(self) -> None:
        while self._contexts:
            self.runner.run(self._contexts.pop().__aexit__(None, None, None))

    def compare(self, label: str, action: Callable[[P], Awaitable[T]]) -> Outcome:
        """Run ``action`` on the subject, then on the reference; both must give the same outcome."""
        got = self.runner.run(observe(action(self.subject)))
        want = self.runner.run(observe(action(self.reference)))
        note(f"{label}: {want[0]} {want[1]!r:.300}")
        event(f"{label}: {want[1] if want[0] == 'error' else 'ok'}")  # --hypothesis-show-statistics shows the mix
        assert got == want, f"{label}: the subject gave {got!r} but the reference gave {want!r}"
        return got
