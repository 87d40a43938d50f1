"""Conversation and message invariants, and the laws of appending."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gaia_domain.clock import ManualClock
from gaia_domain.conversations import (
    MAX_CONTENT,
    Conversation,
    Message,
    Role,
    ToolData,
    activity_after_append,
    check_new_messages,
    message_size,
    messages_size,
    search_text,
)
from gaia_domain.errors import AlreadyExists, InvalidInput
from gaia_domain.ids import MessageId, UserId
from gaia_domain.testing import builders
from gaia_domain.testing import strategies as gs

CLOCK = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))


def message(**overrides: object) -> Message:
    fields: dict[str, object] = {
        "id": MessageId.new(),
        "role": Role.USER,
        "content": "hi",
        "created_at": CLOCK.now(),
        **overrides,
    }
    return Message(**fields)  # type: ignore[arg-type]


@given(when=gs.naive_datetimes)
def test_naive_message_times_are_rejected(when: datetime) -> None:
    with pytest.raises(InvalidInput) as caught:
        message(created_at=when)
    assert caught.value.field == "message.created_at"
    with pytest.raises(InvalidInput) as caught:
        message(edited_at=when)
    assert caught.value.field == "message.edited_at"


@given(when=gs.aware_datetimes)
def test_message_times_become_utc_milliseconds(when: datetime) -> None:
    stored = message(created_at=when).created_at
    assert stored.tzinfo is UTC
    assert stored == when - timedelta(microseconds=when.microsecond % 1000)


@given(content=gs.nul_text | gs.lone_surrogate_text | gs.oversize_content)
def test_unstorable_content_is_rejected(content: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        message(content=content)
    assert caught.value.field == "message.content"


@given(content=gs.regex_metacharacters | gs.mongo_operators)
def test_operator_and_pattern_looking_content_is_plain_data(content: str) -> None:
    assert message(content=content).content == content


@pytest.mark.parametrize(
    "data",
    [
        {"$where": "1"},
        {"a.b": 1},
        {"": 1},
        {"ok": math.nan},
        {"ok": math.inf},
        {"ok": {1, 2}},
        {"ok": 2**64},
        {"nested": {"$gt": ""}},
        {"ok": "a\x00"},
    ],
)
def test_tool_data_must_be_plain_json_with_storable_keys(data: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as caught:
        ToolData("search", data)
    assert caught.value.field == "tool_data.data"


def test_tool_data_is_bounded() -> None:
    with pytest.raises(InvalidInput) as caught:
        ToolData("search", {"blob": "x" * 256_001})
    assert caught.value.field == "tool_data.data"
    with pytest.raises(InvalidInput) as caught:
        message(tool_data=tuple(ToolData("t") for _ in range(51)))
    assert caught.value.field == "message.tool_data"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"role": "robot"}, "message.role"),
        ({"pinned": "yes"}, "message.pinned"),
        ({"reply_to": "65f0c0ffee65f0c0ffee65f0"}, "message.reply_to"),
        ({"id": "65f0c0ffee65f0c0ffee65f0"}, "message.id"),
        ({"content": "x" * (MAX_CONTENT + 1)}, "message.content"),
    ],
)
def test_message_fields(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        message(**overrides)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "x" * 201}, "description"),
        ({"source": "fax"}, "source"),
        ({"starred": 1}, "starred"),
        ({"system_purpose": "x" * 101}, "system_purpose"),
        ({"created_at": datetime(2026, 1, 1)}, "created_at"),
        ({"user_id": "someone"}, "user_id"),
    ],
)
def test_conversation_fields(overrides: dict[str, object], field: str) -> None:
    conversation = builders.conversation(CLOCK, UserId.new())
    fields = {**conversation.__dict__, **overrides}
    with pytest.raises(InvalidInput) as caught:
        Conversation(**fields)
    assert caught.value.field == field


def test_message_ids_are_unique_within_a_conversation_and_a_batch() -> None:
    twice = message()
    with pytest.raises(AlreadyExists):
        Conversation.start(user_id=UserId.new(), clock=CLOCK, messages=[twice, twice])
    with pytest.raises(InvalidInput) as caught:
        Conversation(
            id=builders.conversation(CLOCK, UserId.new()).id,
            user_id=UserId.new(),
            created_at=CLOCK.now(),
            updated_at=CLOCK.now(),
            messages=[twice, twice],
        )
    assert caught.value.field == "messages"
    with pytest.raises(AlreadyExists):
        check_new_messages([twice], existing_ids=[twice.id])
    with pytest.raises(InvalidInput) as caught:
        check_new_messages([])
    assert caught.value.field == "messages"


@given(
    current=gs.aware_datetimes,
    offsets=st.lists(st.integers(min_value=-10_000, max_value=10_000), min_size=1, max_size=5),
)
def test_activity_after_append_is_the_newest_time_and_never_moves_back(current: datetime, offsets: list[int]) -> None:
    start = message(created_at=current).created_at
    batch = [message(created_at=start + timedelta(milliseconds=o)) for o in offsets]
    after = activity_after_append(start, batch)
    assert after == max([start, *(m.created_at for m in batch)])
    assert after >= start


@given(conversation=gs.conversations())
def test_started_conversations_count_their_messages_and_start_at_the_newest(conversation: Conversation) -> None:
    assert conversation.message_count == len(conversation.messages)
    assert conversation.updated_at == max([conversation.created_at, *(m.created_at for m in conversation.messages)])
    assert conversation.summary().message_count == conversation.message_count


@given(text=gs.nul_text | st.just("   ") | st.just("x" * 201))
def test_search_text_must_be_storable_non_blank_and_short(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        search_text(text)
    assert caught.value.field == "text"


@given(st.lists(gs.messages(), max_size=8))
def test_the_size_of_messages_is_the_sum_of_their_sizes(messages: list[Message]) -> None:
    """messages_size measures the joined contents (the bulk path's shortcut); it must equal the per-message sum."""
    assert messages_size(messages) == sum(message_size(m) for m in messages)
    assert messages_size(iter(messages)) == messages_size(tuple(messages))
