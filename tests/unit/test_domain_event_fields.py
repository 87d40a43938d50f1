"""Event fields: decode(encode(e)) == e with the declared types, bad values refused when raised, old payloads read."""

from __future__ import annotations

import enum
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given

from gaia_adapters.memory import MemoryDatabase, MemoryUnitOfWork
from gaia_domain.errors import InvalidInput
from gaia_domain.events import Event, UserDeleted, UserRegistered, event_from_payload, event_to_payload, register_event
from gaia_domain.ids import ConversationId, GoalId, UserId, _HexId, _UuidId
from gaia_domain.testing.event_shapes import FieldShapes, field_shapes_events, sample_field_shapes, type_shape

WHEN = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def through_json(event: Event) -> Event:
    return event_from_payload(event.type_name, json.loads(json.dumps(event_to_payload(event))))


@given(event=field_shapes_events)
def test_decoding_an_encoded_event_gives_it_back_with_exactly_the_declared_types(event: Event) -> None:
    restored = through_json(event)
    assert restored == event
    assert type_shape(restored) == type_shape(event)
    assert event_to_payload(restored) == event_to_payload(event)


def test_the_sample_of_every_shape_round_trips() -> None:
    event = sample_field_shapes()
    restored = through_json(event)
    assert (restored, type_shape(restored)) == (event, type_shape(event))
    assert isinstance(restored, FieldShapes)
    assert type(restored.goal_ids) is tuple
    assert type(restored.user_ids[0]) is UserId
    assert type(restored.owner) is GoalId
    assert type(restored.times[1]) is datetime


def test_aware_datetimes_are_held_in_utc_from_the_start() -> None:
    paris = timezone(timedelta(hours=2))
    event = UserDeleted(occurred_at=datetime(2026, 3, 1, 11, 0, tzinfo=paris), user_id=UserId.new())
    assert event.occurred_at == WHEN
    assert event.occurred_at.tzinfo is UTC
    shapes = sample_field_shapes()
    assert shapes.maybe_at is not None
    assert shapes.maybe_at.tzinfo is UTC


def test_unions_are_stored_tagged_and_optionals_plainly() -> None:
    event = sample_field_shapes()
    payload = event_to_payload(event)
    assert payload["owner"] == {"type": "GoalId", "value": str(event.owner)}
    assert payload["owner_or_none"] is None
    assert payload["maybe_goal"] is None
    assert payload["scalar"] == {"type": "Level", "value": 1}
    assert payload["container"] == {"type": "tuple", "value": ["x", "y"]}


# -- refused when raised ------------------------------------------------------------------------------------


@register_event
@dataclass(frozen=True, kw_only=True)
class ReminderSet(Event):
    user_id: UserId
    reminder_id: str
    user_ids: list[UserId] = field(default_factory=list)


def reminder(**overrides: Any) -> ReminderSet:
    values: dict[str, Any] = {"occurred_at": WHEN, "user_id": UserId.new(), "reminder_id": "r1", "user_ids": []}
    return ReminderSet(**{**values, **overrides})


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"occurred_at": datetime(2026, 3, 1, 9, 0)}, "occurred_at", "naive"),
        ({"occurred_at": "2026-03-01T09:00:00+00:00"}, "occurred_at", "must be datetime, got str"),
        ({"user_id": "x"}, "user_id", "UserId.parse"),
        ({"user_id": GoalId.new()}, "user_id", "must be UserId, got GoalId"),
        ({"reminder_id": 5}, "reminder_id", "must be str, got int"),
        ({"reminder_id": "a\x00b"}, "reminder_id", "NUL"),
        ({"reminder_id": "\ud800"}, "reminder_id", "surrogate"),
        ({"user_ids": [UserId.new(), "x"]}, "user_ids[1]", "must be UserId"),
        ({"user_ids": (UserId.new(),)}, "user_ids", "must be list[UserId], got tuple"),
        ({"event_id": uuid.uuid4()}, "event_id", "must be EventId"),
    ],
)
def test_a_value_that_does_not_fit_its_declared_type_is_invalid_input_naming_the_field(
    overrides: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        reminder(**overrides)
    assert caught.value.field == field
    assert words in caught.value.reason
    assert "ReminderSet" in caught.value.reason


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("count", True, "must be int, got bool"),
        ("count", 2**63, "64-bit"),
        ("ratio", 1, "must be float, got int"),
        ("ratio", float("nan"), "finite"),
        ("ratio", float("inf"), "finite"),
        ("colour", "red", "must be Colour"),
        ("owner", ConversationId.new(), "must be UserId | GoalId"),
        ("counts", {1: 2}, "must be str"),
        ("nested", {"a": [[WHEN]]}, "tuple"),
    ],
)
def test_every_field_shape_is_checked(field: str, value: object, words: str) -> None:
    sample = sample_field_shapes()
    values = {name: getattr(sample, name) for name in sample.__dataclass_fields__}
    with pytest.raises(InvalidInput) as caught:
        FieldShapes(**{**values, field: value})
    assert caught.value.field.startswith(field)
    assert words in caught.value.reason


async def test_the_outbox_refuses_a_bad_event_and_stores_nothing_of_the_batch() -> None:
    database = MemoryDatabase()
    good, bad = reminder(), reminder()
    object.__setattr__(bad, "reminder_id", 5)  # past the constructor, as a subclass that skips super().__post_init__
    async with MemoryUnitOfWork(database) as uow:
        with pytest.raises(InvalidInput) as caught:
            await uow.outbox.add([good, bad])
        assert caught.value.field == "reminder_id"
    assert database.outbox == []


# -- refused when declared ----------------------------------------------------------------------------------


class Status(enum.Enum):
    ON = "on"


class _Other:
    class Status(enum.Enum):
        OFF = "off"


class Mixed(enum.Enum):
    A = "a"
    B = 2


def declare(annotation: object) -> type[Event]:
    namespace = {"__annotations__": {"value": annotation}, "__module__": __name__}
    cls: type[Event] = dataclass(frozen=True, kw_only=True)(type("Undecodable", (Event,), namespace))
    return register_event(cls)


@pytest.mark.parametrize(
    ("annotation", "words"),
    [
        (list[int] | list[str], "cannot be told apart"),
        (Status | _Other.Status, "cannot be told apart"),
        (dict[str, int] | dict[str, str] | None, "cannot be told apart"),
        (Any, "not an event field type"),
        (object, "not an event field type"),
        (set[int], "not an event field type"),
        (list, "list[X]"),
        (tuple[int, str], "tuple[X, ...]"),
        (dict[int, str], "keys must be str"),
        (Mixed, "only str or only int"),
        (date, "not an event field type"),
    ],
)
def test_an_event_class_with_a_field_type_it_cannot_store_exactly_is_refused_at_registration(
    annotation: object, words: str
) -> None:
    with pytest.raises(TypeError, match=r"Undecodable\.value") as caught:
        declare(annotation)
    assert words in str(caught.value)
    with pytest.raises(InvalidInput):
        event_from_payload("Undecodable", {})  # not registered


def test_a_forward_reference_that_cannot_be_resolved_is_refused_at_registration() -> None:
    with pytest.raises(TypeError, match="cannot resolve the field types"):
        declare("NoSuchType")


# -- payloads stored before this encoding -------------------------------------------------------------------


def old_encode(value: object) -> object:
    """The encoding before field types were checked (``gaia_domain.events._encode`` until then)."""
    if isinstance(value, _UuidId | _HexId):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [old_encode(v) for v in value]
    return value


def test_built_in_events_are_encoded_exactly_as_before() -> None:
    event = UserRegistered(occurred_at=WHEN, user_id=UserId.new(), email="ada@example.org", name="Ada")
    before = {name: old_encode(getattr(event, name)) for name in event.__dataclass_fields__}
    assert event_to_payload(event) == before


@register_event
@dataclass(frozen=True, kw_only=True)
class StoredEarlier(Event):
    either: int | str
    someone: UserId | ConversationId
    ids: tuple[GoalId, ...]
    tags: list[str] | None = None


def test_payloads_written_by_the_old_encoding_still_decode() -> None:
    user, goal = UserId.new(), GoalId.new()
    old = {
        "event_id": "01890000-0000-7000-8000-000000000000",
        "occurred_at": "2026-03-01T11:00:00+02:00",  # an offset: read as the same instant, in UTC
        "either": 5,
        "someone": str(user),  # untagged: only UserId can read it
        "ids": [str(goal)],
    }
    event = event_from_payload("StoredEarlier", old)
    assert isinstance(event, StoredEarlier)
    assert (event.occurred_at, event.occurred_at.tzinfo) == (WHEN, UTC)
    assert (event.either, event.someone, event.ids, event.tags) == (5, user, (goal,), None)
    assert event_from_payload("StoredEarlier", {**old, "either": "five"}) == StoredEarlier(
        event_id=event.event_id, occurred_at=WHEN, either="five", someone=user, ids=(goal,)
    )
    naive = event_from_payload("StoredEarlier", {**old, "occurred_at": "2026-03-01T09:00:00"})
    assert (naive.occurred_at, naive.occurred_at.tzinfo) == (WHEN, UTC)  # the domain's only time zone


@register_event
@dataclass(frozen=True, kw_only=True)
class OwnerChanged(Event):
    owner: UserId | GoalId


def test_an_old_untagged_value_that_fits_several_members_is_not_guessed() -> None:
    old = {"event_id": str(uuid.uuid4()), "occurred_at": WHEN.isoformat(), "owner": str(uuid.uuid4())}
    with pytest.raises(InvalidInput, match="ambiguous") as caught:
        event_from_payload("OwnerChanged", old)
    assert caught.value.field == "owner"
    owner = GoalId.new()
    decoded = event_from_payload("OwnerChanged", {**old, "owner": {"type": "GoalId", "value": str(owner)}})
    assert isinstance(decoded, OwnerChanged)
    assert type(decoded.owner) is GoalId
    assert decoded.owner == owner


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"either": 5, "someone": "nope", "ids": []}, "someone"),
        ({"either": 5.5, "someone": None, "ids": []}, "either"),
        ({"either": 5, "ids": []}, "someone"),
        ({"either": 5, "someone": {"type": "GoalId", "value": "x"}, "ids": []}, "someone"),
    ],
)
def test_a_payload_that_does_not_fit_is_invalid_input_naming_the_field(payload: dict[str, Any], field: str) -> None:
    base = {"event_id": str(uuid.uuid4()), "occurred_at": WHEN.isoformat()}
    with pytest.raises(InvalidInput) as caught:
        event_from_payload("StoredEarlier", {**base, **payload})
    assert caught.value.field == field


async def test_an_unregistered_event_type_is_refused_by_the_outbox_and_nothing_is_stored() -> None:
    """Delivered in process it would work, but the relay could never rebuild it: refused when stored instead."""

    @dataclass(frozen=True, kw_only=True)
    class Forgotten(Event):
        user_id: UserId

    database = MemoryDatabase()
    event = Forgotten(occurred_at=datetime(2026, 3, 1, tzinfo=UTC), user_id=UserId.new())
    async with MemoryUnitOfWork(database) as uow:
        with pytest.raises(InvalidInput) as caught:
            await uow.outbox.add([event])
        await uow.commit()
    assert caught.value.field == "event_type"
    assert "@register_event" in caught.value.reason
    assert database.outbox == []
