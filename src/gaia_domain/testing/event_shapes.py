"""An event with a field of every allowed shape, for the payload round-trip law (unit and store contracts).

Importing this module registers :class:`FieldShapes` (under that name) with the outbox's event registry.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Union

from hypothesis import strategies as st

from gaia_domain.events import Event, register_event
from gaia_domain.ids import ConversationId, EventId, GoalId, MessageId, UserId
from gaia_domain.testing import strategies as gs


class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@register_event
@dataclass(frozen=True, kw_only=True)
class FieldShapes(Event):
    """Every field type docs/consistency.md allows, alone, optional, in containers and in unions."""

    text: str
    count: int
    ratio: float
    flag: bool
    at: datetime
    token: uuid.UUID
    user_id: UserId
    goal_id: GoalId
    cause: EventId
    conversation_id: ConversationId
    message_id: MessageId
    colour: Colour
    level: Level
    maybe_goal: GoalId | None
    maybe_at: datetime | None
    user_ids: list[UserId]
    goal_ids: tuple[GoalId, ...]
    times: list[datetime]
    counts: dict[str, int]
    nested: dict[str, list[tuple[datetime | None, ...]]]
    owner: UserId | GoalId
    owner_or_none: UserId | GoalId | None
    scalar: str | int | float | bool | Level | Colour
    mixed: list[UserId | ConversationId | datetime]
    container: list[int] | tuple[str, ...] | dict[str, bool]
    note: str | None = None


_datetimes = st.datetimes(timezones=st.just(UTC)) | gs.aware_datetimes
_LEAVES: dict[object, st.SearchStrategy[Any]] = {
    str: gs.storable_text(),
    int: st.integers(min_value=-(2**63), max_value=2**63 - 1),
    float: st.floats(allow_nan=False, allow_infinity=False),
    bool: st.booleans(),
    type(None): st.none(),
    datetime: _datetimes,
    uuid.UUID: st.uuids(),
    UserId: gs.user_ids,
    GoalId: gs.goal_ids,
    EventId: st.uuids().map(EventId),
    ConversationId: gs.conversation_ids,
    MessageId: gs.message_ids,
    Colour: st.sampled_from(Colour),
    Level: st.sampled_from(Level),
}


def values_of(hint: object) -> st.SearchStrategy[Any]:
    """Values of an allowed field type, derived from the annotation."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        return st.one_of([values_of(a) for a in args])
    if origin is list:
        return st.lists(values_of(args[0]), max_size=3)
    if origin is tuple:
        return st.lists(values_of(args[0]), max_size=3).map(tuple)
    if origin is dict:
        return st.dictionaries(gs.storable_text(max_size=8), values_of(args[1]), max_size=3)
    return _LEAVES[hint]


def events_of(cls: type[Event]) -> st.SearchStrategy[Event]:
    """Events of ``cls`` with every field drawn from its declared type."""
    hints = typing.get_type_hints(cls)
    return st.builds(cls, **{f.name: values_of(hints[f.name]) for f in dataclasses.fields(cls) if f.init})


field_shapes_events = events_of(FieldShapes)


def sample_field_shapes() -> FieldShapes:
    """One fixed event with a non-trivial value in every field (for store contracts: jsonb, not just json)."""
    when = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
    return FieldShapes(
        occurred_at=when,
        text='Grüße, 日本語 and an emoji \U0001f600 with "quotes" and a\nnewline',
        count=-(2**63),
        ratio=0.1,
        flag=False,
        at=datetime(1, 1, 1, tzinfo=UTC),
        token=uuid.UUID(int=2**128 - 1),
        user_id=UserId.new(),
        goal_id=GoalId.new(),
        cause=EventId.new(),
        conversation_id=ConversationId.new(),
        message_id=MessageId.new(),
        colour=Colour.GREEN,
        level=Level.HIGH,
        maybe_goal=None,
        maybe_at=datetime(2030, 1, 1, 12, tzinfo=timezone(timedelta(hours=5, minutes=30))),  # held in UTC
        user_ids=[UserId.new(), UserId.new()],
        goal_ids=(GoalId.new(),),
        times=[when, datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)],
        counts={"": 0, "ünïcode key": 2**63 - 1},
        nested={"a": [(when, None), ()], "b": []},
        owner=GoalId.new(),
        owner_or_none=None,
        scalar=Level.LOW,
        mixed=[UserId.new(), ConversationId.new(), when],
        container=("x", "y"),
        note="a note",
    )


def type_shape(value: object) -> object:
    """The value's types, nested (so that ``1`` and ``1.0``, a list and a tuple, a str and an id differ)."""
    if isinstance(value, Event):
        return (type(value), {f.name: type_shape(getattr(value, f.name)) for f in dataclasses.fields(value)})
    if isinstance(value, list | tuple):
        return (type(value), [type_shape(v) for v in value])
    if isinstance(value, dict):
        return (dict, {k: type_shape(v) for k, v in value.items()})
    if isinstance(value, datetime):
        return (datetime, value.tzinfo)
    return type(value)
