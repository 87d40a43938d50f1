"""Domain events: facts raised by aggregates, collected by the unit of work.

Every event serialises to a JSON-safe payload (for the outbox) and back, by its
type name, through :func:`event_to_payload` / :func:`event_from_payload`.
Application code registers its own event types with :func:`register_event`.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, Union

from gaia_domain.errors import InvalidInput
from gaia_domain.ids import ConversationId, EventId, GoalId, MessageId, UserId, _HexId, _UuidId

JsonValue = Any  # a JSON-compatible value; kept loose on purpose (recursive aliases are noisy here)


@dataclass(frozen=True, kw_only=True)
class Event:
    event_id: EventId = field(default_factory=EventId.new)
    occurred_at: datetime

    @property
    def type_name(self) -> str:
        return type(self).__name__


@dataclass(frozen=True, kw_only=True)
class UserRegistered(Event):
    user_id: UserId
    email: str
    name: str


@dataclass(frozen=True, kw_only=True)
class UserDeleted(Event):
    user_id: UserId


@dataclass(frozen=True, kw_only=True)
class OnboardingCompleted(Event):
    user_id: UserId


@dataclass(frozen=True, kw_only=True)
class GoalCreated(Event):
    user_id: UserId
    goal_id: GoalId
    title: str


@dataclass(frozen=True, kw_only=True)
class GoalCompleted(Event):
    user_id: UserId
    goal_id: GoalId
    title: str
    conversation_id: ConversationId | None = None


@dataclass(frozen=True, kw_only=True)
class MessagePosted(Event):
    """Not raised by the built-in services; an example shape for application events."""

    user_id: UserId
    conversation_id: ConversationId
    message_id: MessageId


E = TypeVar("E", bound=type[Event])
_REGISTRY: dict[str, type[Event]] = {}


def register_event(cls: E) -> E:
    """Make an event type known to the outbox (usable as a class decorator)."""
    existing = _REGISTRY.get(cls.__name__)
    if existing is not None and existing is not cls:
        raise ValueError(f"another event type is already registered as {cls.__name__!r}")
    _REGISTRY[cls.__name__] = cls
    return cls


for _cls in (UserRegistered, UserDeleted, OnboardingCompleted, GoalCreated, GoalCompleted, MessagePosted):
    register_event(_cls)


def event_type(name: str) -> type[Event]:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise InvalidInput("event_type", f"unknown event type {name!r}") from None


def _encode(value: object) -> JsonValue:
    if isinstance(value, _UuidId | _HexId):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    return value


def _decode(hint: object, value: JsonValue) -> object:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode(args[0], value) if len(args) == 1 else value
    if isinstance(hint, type):
        if issubclass(hint, _UuidId | _HexId):
            return hint.parse(value)
        if issubclass(hint, datetime):
            return datetime.fromisoformat(value)
    return value


def event_to_payload(event: Event) -> dict[str, JsonValue]:
    return {f.name: _encode(getattr(event, f.name)) for f in dataclasses.fields(event)}


def event_from_payload(type_name: str, payload: dict[str, JsonValue]) -> Event:
    cls = event_type(type_name)
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {
        f.name: _decode(hints[f.name], payload[f.name]) for f in dataclasses.fields(cls) if f.name in payload
    }
    return cls(**kwargs)
