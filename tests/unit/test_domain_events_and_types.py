"""Events survive the outbox round trip; no driver type (bson/ObjectId) is reachable from domain objects (K06)."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import datetime
from enum import Enum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gaia_domain.conversations import Conversation
from gaia_domain.errors import InvalidInput
from gaia_domain.events import (
    Event,
    GoalCompleted,
    GoalCreated,
    MessagePosted,
    OnboardingCompleted,
    UserDeleted,
    UserRegistered,
    event_from_payload,
    event_to_payload,
)
from gaia_domain.goals import Goal
from gaia_domain.testing import strategies as gs
from gaia_domain.users import User

times = gs.aware_datetimes
events = st.one_of(
    st.builds(UserRegistered, occurred_at=times, user_id=gs.user_ids, email=gs.emails, name=gs.nonblank_text()),
    st.builds(UserDeleted, occurred_at=times, user_id=gs.user_ids),
    st.builds(OnboardingCompleted, occurred_at=times, user_id=gs.user_ids),
    st.builds(GoalCreated, occurred_at=times, user_id=gs.user_ids, goal_id=gs.goal_ids, title=gs.nonblank_text()),
    st.builds(
        GoalCompleted,
        occurred_at=times,
        user_id=gs.user_ids,
        goal_id=gs.goal_ids,
        title=gs.nonblank_text(),
        conversation_id=st.none() | gs.conversation_ids,
    ),
    st.builds(
        MessagePosted,
        occurred_at=times,
        user_id=gs.user_ids,
        conversation_id=gs.conversation_ids,
        message_id=gs.message_ids,
    ),
)


@given(event=events)
def test_every_event_round_trips_through_a_json_payload(event: Event) -> None:
    payload = event_to_payload(event)
    restored = event_from_payload(event.type_name, json.loads(json.dumps(payload)))
    assert restored == event
    assert type(restored) is type(event)


def test_an_unknown_event_type_is_invalid_input() -> None:
    with pytest.raises(InvalidInput) as caught:
        event_from_payload("SomethingElse", {})
    assert caught.value.field == "event_type"


ALLOWED_LEAVES = (str, int, float, bool, type(None), datetime, uuid.UUID, Enum)


def _leaves(value: object, path: str = "") -> list[tuple[str, type]]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [leaf for f in dataclasses.fields(value) for leaf in _leaves(getattr(value, f.name), f"{path}.{f.name}")]
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in [*_leaves(k, path), *_leaves(v, f"{path}[{k!r}]")]]
    if isinstance(value, list | tuple):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, f"{path}[{i}]")]
    return [(path, type(value))]


@given(user=gs.users(), goal=gs.goals(), conversation=gs.conversations())
def test_k06_domain_objects_hold_only_plain_python_values(user: User, goal: Goal, conversation: Conversation) -> None:
    for aggregate in (user, goal, conversation, conversation.summary()):
        for path, kind in _leaves(aggregate):
            assert issubclass(kind, ALLOWED_LEAVES), f"{type(aggregate).__name__}{path} is a {kind!r}"
            assert "bson" not in kind.__module__, path
    assert type(conversation.id.value) is str
    assert all(type(m.id.value) is str for m in conversation.messages)
    assert type(user.id.value) is uuid.UUID
    assert type(goal.id.value) is uuid.UUID
