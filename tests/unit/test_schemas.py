"""The edge models: ids as strings, datetimes with an offset, shape errors as InvalidInput (case K06)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import BaseModel

from gaia_domain.clock import TickingClock
from gaia_domain.conversations import (
    Conversation,
    ConversationStats,
    Message,
    PinnedMessage,
    SearchHit,
    ToolData,
)
from gaia_domain.errors import InvalidInput
from gaia_domain.goals import Goal
from gaia_domain.ids import ConversationId, MessageId, UserId
from gaia_domain.pagination import Page
from gaia_domain.schemas import (
    ConversationOut,
    ConversationSummaryOut,
    CreateGoal,
    EditGoal,
    GoalOut,
    MessageIn,
    PageOut,
    PinnedMessageOut,
    RegisterUser,
    SearchHitOut,
    SendMessages,
    StartConversation,
    StatsOut,
    UpdateOnboarding,
    UserOut,
    parse_command,
)
from gaia_domain.users import OnboardingPhase, User

JSON_LEAVES = (str, int, float, bool, type(None))


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list | tuple):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock(datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC))


@pytest.fixture
def user(clock: TickingClock) -> User:
    user = User.register(email="Ada@Example.org", name="Ada", clock=clock, timezone="Europe/Paris")
    user.update_onboarding(clock=clock, phase=OnboardingPhase.COMPLETED)
    return user


@pytest.fixture
def conversation(user: User, clock: TickingClock) -> Conversation:
    question = Message.new(role="user", content="Weather in Paris?", clock=clock)
    answer = Message.new(
        role="assistant",
        content="12 °C and cloudy.",
        clock=clock,
        reply_to=question.id,
        pinned=True,
        tool_data=[ToolData("weather", {"city": "Paris", "celsius": 12.5, "hourly": [1, 2]}, "search")],
    )
    return Conversation.start(user_id=user.id, clock=clock, description="Trip", messages=[question, answer])


@pytest.fixture
def goal(user: User, clock: TickingClock) -> Goal:
    command = parse_command(
        CreateGoal,
        {
            "title": "Run a marathon",
            "roadmap": {
                "nodes": [{"id": "a", "label": "5 km"}, {"id": "b", "label": "21 km"}, {"id": "c", "label": "42 km"}],
                "edges": [{"source": "a", "target": "b"}, {"source": "b", "target": "c"}],
            },
        },
    )
    goal = Goal.create(user_id=user.id, title=command.title, roadmap=command.roadmap_to_domain(), clock=clock)
    goal.complete_node("a", clock)
    return goal


def _read_models(user: User, conversation: Conversation, goal: Goal) -> list[BaseModel]:
    pinned = PinnedMessage(conversation.id, conversation.description, conversation.messages[1])
    hit = SearchHit(conversation.summary(), True, (conversation.messages[0].id,))
    stats = ConversationStats(2, 5, 1, {"user": 3, "assistant": 2}, {"2026-03-01": 5}, (("weather", 2),))
    return [
        UserOut.from_domain(user),
        ConversationOut.from_domain(conversation),
        ConversationSummaryOut.from_domain(conversation.summary()),
        GoalOut.from_domain(goal),
        PinnedMessageOut.from_domain(pinned),
        SearchHitOut.from_domain(hit),
        StatsOut.from_domain(stats),
        PageOut[ConversationSummaryOut].from_page(
            Page((conversation.summary(),), "next"), ConversationSummaryOut.from_domain
        ),
    ]


def test_k06_no_objectid_reachable_from_read_models(user: User, conversation: Conversation, goal: Goal) -> None:
    for model in _read_models(user, conversation, goal):
        leaves = _leaves(model.model_dump())
        foreign = [leaf for leaf in leaves if not isinstance(leaf, (*JSON_LEAVES, datetime))]
        assert foreign == [], f"{type(model).__name__} exposes {foreign!r}"


def test_k06_json_dump_and_schema_carry_ids_as_strings(user: User, conversation: Conversation, goal: Goal) -> None:
    for model in _read_models(user, conversation, goal):
        dumped = model.model_dump(mode="json")
        assert all(isinstance(leaf, JSON_LEAVES) for leaf in _leaves(dumped))
        assert json.loads(json.dumps(dumped)) == dumped
        json.dumps(type(model).model_json_schema())

    conv = ConversationOut.from_domain(conversation).model_dump(mode="json")
    assert conv["id"] == conversation.id.value
    assert conv["user_id"] == str(user.id)
    assert conv["messages"][1]["reply_to"] == conversation.messages[0].id.value
    schema = ConversationOut.model_json_schema()
    id_schema = schema["properties"]["id"]
    assert (id_schema["type"], id_schema["pattern"]) == ("string", "^[0-9a-f]{24}$")
    assert GoalOut.model_json_schema()["properties"]["id"]["type"] == "string"


def test_k06_domain_module_never_imports_bson() -> None:
    code = (
        "import sys, gaia_domain.schemas, gaia_domain.services; print('bson' in sys.modules, 'pymongo' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    ("command", "data", "field"),
    [
        (MessageIn, {"role": "user", "content": "x", "reply_to": "not-an-id"}, "reply_to"),
        (MessageIn, {"role": "user", "content": "x", "message_id": "65F1C0DE8A9B4C2D1E0F3A4"}, "message_id"),
    ],
)
def test_k06_malformed_id_string_is_invalid_input(command: type[MessageIn], data: dict[str, Any], field: str) -> None:
    model = parse_command(command, data)
    with pytest.raises(InvalidInput) as caught:
        model.to_domain()
    assert caught.value.field == field
    assert caught.value.__cause__ is None or not type(caught.value.__cause__).__module__.startswith("bson")


def test_k06_malformed_goal_conversation_id_is_invalid_input() -> None:
    command = parse_command(CreateGoal, {"title": "t", "conversation_id": "{'$gt': ''}"})
    with pytest.raises(InvalidInput) as caught:
        command.conversation_id_to_domain()
    assert caught.value.field == "conversation_id"


def test_k05_json_datetimes_carry_offset_and_milliseconds(user: User) -> None:
    dumped = UserOut.from_domain(user).model_dump(mode="json")
    assert dumped["created_at"] == "2026-03-01T09:30:00.123+00:00"
    assert datetime.fromisoformat(dumped["created_at"]) == user.created_at
    assert dumped["onboarding"]["completed_at"].endswith("+00:00")


def test_message_in_builds_new_message_with_tool_data() -> None:
    reply_to = MessageId.new()
    model = parse_command(
        MessageIn,
        {
            "role": "assistant",
            "content": "Found 2 flights.",
            "reply_to": reply_to.value.upper(),
            "created_at": "2026-03-01T10:00:00.5+02:00",
            "tool_data": [{"tool_name": "flights", "data": {"results": [{"price": 99}]}, "category": "travel"}],
        },
    )
    new = model.to_domain()
    assert new.reply_to == reply_to
    assert new.created_at == datetime(2026, 3, 1, 10, 0, 0, 500000, tzinfo=timezone(timedelta(hours=2)))
    assert new.tool_data == (ToolData("flights", {"results": [{"price": 99}]}, "travel"),)
    message = Message.new(role=new.role, content=new.content, created_at=new.created_at, tool_data=new.tool_data)
    assert message.created_at == datetime(2026, 3, 1, 8, 0, 0, 500000, tzinfo=UTC)


def test_naive_datetime_passes_the_shape_check_and_the_domain_names_the_field() -> None:
    new = parse_command(MessageIn, {"role": "user", "content": "x", "created_at": "2026-03-01T10:00:00"}).to_domain()
    with pytest.raises(InvalidInput) as caught:
        Message.new(role=new.role, content=new.content, created_at=new.created_at)
    assert caught.value.field == "message.created_at"


@pytest.mark.parametrize(
    ("command", "data", "field"),
    [
        (RegisterUser, {"email": "a@b.org"}, "name"),
        (RegisterUser, {"email": "a@b.org", "name": "A", "admin": True}, "admin"),
        (SendMessages, {"messages": []}, "messages"),
        (SendMessages, {"messages": [{"role": "user", "content": 5}]}, "messages.0.content"),
        (CreateGoal, {"title": "t", "roadmap": {"nodes": [{"id": "a"}]}}, "roadmap.nodes.0.label"),
        (StartConversation, {"messages": [{"role": "user", "content": "x", "tool_data": [{}]}]}, None),
        (UpdateOnboarding, {"preferences": {"profession": ["x"]}}, "preferences.profession"),
        # strict: nothing is coerced into a version or a flag
        (EditGoal, {"expected_version": True}, "expected_version"),
        (EditGoal, {"expected_version": "3"}, "expected_version"),
        (EditGoal, {"expected_version": 3.0}, "expected_version"),
        (SendMessages, {"messages": [{"role": "user", "content": "x", "pinned": "yes"}]}, "messages.0.pinned"),
        (StartConversation, {"is_system_generated": 1}, "is_system_generated"),
    ],
)
def test_shape_errors_become_invalid_input_naming_the_field(
    command: type[BaseModel], data: dict[str, Any], field: str | None
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_command(command, data)
    if field is None:
        assert caught.value.field.startswith("messages.0.tool_data.0.")
    else:
        assert caught.value.field == field


def test_message_times_from_json_are_parsed_in_both_ways_in() -> None:
    """Strict commands still take an ISO time: from JSON text and from already-parsed JSON (as FastAPI passes)."""
    data = {"messages": [{"role": "user", "content": "x", "created_at": "2026-03-02T08:00:00.123Z"}]}
    expected = datetime(2026, 3, 2, 8, 0, 0, 123000, tzinfo=UTC)
    assert parse_command(SendMessages, data).messages[0].created_at == expected
    assert parse_command(SendMessages, json.dumps(data)).messages[0].created_at == expected


def test_parse_command_accepts_json_text() -> None:
    command = parse_command(EditGoal, '{"title": "New", "expected_version": 3}')
    assert (command.title, command.expected_version, command.roadmap_to_domain()) == ("New", 3, None)
    with pytest.raises(InvalidInput) as caught:
        parse_command(EditGoal, "{not json")
    assert caught.value.field == "EditGoal"


@pytest.mark.parametrize(
    ("roadmap", "reason"),
    [
        (
            {
                "nodes": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
                "edges": [{"source": "a", "target": "b"}, {"source": "b", "target": "a"}],
            },
            "cycle",
        ),
        ({"nodes": [{"id": "a", "label": "A"}], "edges": [{"source": "a", "target": "zz"}]}, "missing node"),
    ],
)
def test_domain_invariants_stay_in_the_domain(roadmap: dict[str, Any], reason: str) -> None:
    command = parse_command(CreateGoal, {"title": "t", "roadmap": roadmap})  # the shape is fine
    with pytest.raises(InvalidInput) as caught:
        command.roadmap_to_domain()
    assert caught.value.field == "roadmap.edges"
    assert reason in caught.value.reason


def test_oversize_title_is_rejected_by_the_domain(clock: TickingClock) -> None:
    command = parse_command(CreateGoal, {"title": "x" * 201})
    with pytest.raises(InvalidInput) as caught:
        Goal.create(user_id=UserId.new(), title=command.title, clock=clock)
    assert caught.value.field == "title"


def test_goal_out_reports_progress(goal: Goal) -> None:
    out = GoalOut.from_domain(goal)
    assert out.progress == 33
    assert [node.completed for node in out.roadmap.nodes] == [True, False, False]
    assert out.model_dump(mode="json")["roadmap"]["edges"] == [
        {"source": "a", "target": "b"},
        {"source": "b", "target": "c"},
    ]


def test_conversation_id_from_read_model_parses_back(conversation: Conversation) -> None:
    out = ConversationSummaryOut.from_domain(conversation.summary())
    assert ConversationId.parse(out.id) == conversation.id
    assert UserId.parse(out.user_id) == conversation.user_id
