"""Domain events: facts raised by aggregates, collected by the unit of work.

Every event serialises to a JSON-safe payload (for the outbox) and back, by its
type name, through :func:`event_to_payload` / :func:`event_from_payload`; decoding
gives back an equal event with exactly the declared field types. The allowed field
types and their encoding are in :mod:`gaia_domain.event_fields`. An event is checked
against its declared types when it is built (and again when it is stored): a value
that does not fit is ``InvalidInput`` naming the field. Application code registers
its own event types with :func:`register_event`, which refuses a type it could not
store and decode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from gaia_domain.errors import InvalidInput
from gaia_domain.event_fields import FieldsCodec, JsonValue, compile_fields
from gaia_domain.ids import ConversationId, EventId, GoalId, MessageId, UserId

__all__ = [
    "Event",
    "GoalCompleted",
    "GoalCreated",
    "JsonValue",
    "MessagePosted",
    "OnboardingCompleted",
    "UserDeleted",
    "UserRegistered",
    "event_from_payload",
    "event_to_payload",
    "event_type",
    "register_event",
]

_CODECS: dict[type, FieldsCodec] = {}


def _codec(cls: type) -> FieldsCodec:
    codec = _CODECS.get(cls)
    if codec is None:
        codec = _CODECS[cls] = compile_fields(cls)
    return codec


@dataclass(frozen=True, kw_only=True)
class Event:
    event_id: EventId = field(default_factory=EventId.new)
    occurred_at: datetime

    def __post_init__(self) -> None:
        """Refuse field values that do not fit the declared types; aware datetimes are converted to UTC.

        A subclass that defines its own ``__post_init__`` must call ``super().__post_init__()``.
        """
        _codec(type(self)).canonicalize(self)

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
    """Make an event type known to the outbox (usable as a class decorator, above ``@dataclass``).

    ``TypeError`` if a field's type cannot be stored and decoded exactly (see :mod:`gaia_domain.event_fields`).
    """
    if not (isinstance(cls, type) and issubclass(cls, Event)):
        raise TypeError(f"{cls!r} is not an Event subclass")
    existing = _REGISTRY.get(cls.__name__)
    if existing is not None and existing is not cls:
        raise ValueError(f"another event type is already registered as {cls.__name__!r}")
    _codec(cls)
    _REGISTRY[cls.__name__] = cls
    return cls


for _cls in (UserRegistered, UserDeleted, OnboardingCompleted, GoalCreated, GoalCompleted, MessagePosted):
    register_event(_cls)


def event_type(name: str) -> type[Event]:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise InvalidInput("event_type", f"unknown event type {name!r}") from None


def event_to_payload(event: Event) -> dict[str, JsonValue]:
    """The event's fields as JSON values; InvalidInput naming the field if one does not fit its declared type, or
    if its type is not registered (the relay could never rebuild it: it would only be parked as dead later)."""
    cls = type(event)
    if _REGISTRY.get(cls.__name__) is not cls:
        raise InvalidInput(
            "event_type", f"{cls.__name__} is not a registered event type: decorate the class with @register_event"
        )
    return _codec(cls).encode(event)


def event_from_payload(type_name: str, payload: dict[str, JsonValue]) -> Event:
    """The event back from :func:`event_to_payload`'s output (also from payloads stored by earlier versions)."""
    cls = event_type(type_name)
    kwargs: dict[str, Any] = _codec(cls).decode(payload)
    return cls(**kwargs)
