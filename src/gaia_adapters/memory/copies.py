"""Detached copies: what goes into or comes out of a fake never shares mutable state with the caller."""

from __future__ import annotations

import copy
from typing import Protocol, TypeVar

from gaia_domain.events import Event


class _HasEvents(Protocol):
    events: list[Event]


A = TypeVar("A", bound=_HasEvents)


def detached(aggregate: A) -> A:
    """A deep copy without pending events (events are not stored state; the unit of work collects them)."""
    shallow = copy.copy(aggregate)
    shallow.events = []
    return copy.deepcopy(shallow)
