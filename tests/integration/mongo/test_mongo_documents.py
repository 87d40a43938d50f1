"""Document mapping and upgrade on read: current round trip, and every legacy GAIA document of the shared data.

The legacy file is read where it lives (``../shared/data``, or ``GAIA_SHARED_DATA``); it is never copied here.
"""

from __future__ import annotations

import gc
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import bson
import pytest
from bson import ObjectId, json_util
from bson.binary import UuidRepresentation
from bson.codec_options import CodecOptions

from gaia_adapters.mongo.commands import gc_paused
from gaia_adapters.mongo.documents import (
    SCHEMA_VERSION,
    ConversationDocument,
    LegacyOwnerUnmapped,
    RoleName,
    SourceName,
    conversation_from_document,
    conversation_to_document,
    parse_legacy_time,
    summary_from_document,
    upgrade_document,
)
from gaia_domain.clock import TickingClock
from gaia_domain.conversations import Role, Source, ToolData
from gaia_domain.errors import InvalidInput
from gaia_domain.ids import MessageId, UserId
from gaia_domain.testing import builders


def shared_data(name: str) -> Path:
    root = Path(os.environ.get("GAIA_SHARED_DATA", Path(__file__).resolve().parents[4] / "shared" / "data"))
    path = root / name
    if not path.exists():
        pytest.skip(f"shared data file {path} not found (set GAIA_SHARED_DATA)")
    return path


def legacy_documents() -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = json_util.loads(shared_data("gaia-legacy-conversations.json").read_text("utf-8"))
    return documents


OWNER = UserId(uuid.UUID("0190f5a8-0000-7000-8000-000000000001"))


def test_current_documents_round_trip_exactly() -> None:
    clock = TickingClock()
    conversation = builders.conversation(clock, UserId.new(), description="Round trip", contents=["a", "b", "c"])
    conversation.messages[1] = builders.message(clock, "tools", role=Role.TOOL, tools=["web_search"])
    conversation.messages[2] = conversation.messages[2].__class__(
        id=MessageId.new(),
        role=Role.ASSISTANT,
        content="edited",
        created_at=clock.now(),
        pinned=True,
        reply_to=conversation.messages[0].id,
        edited_at=clock.now(),
    )
    document = conversation_to_document(conversation)
    assert isinstance(document["_id"], ObjectId)
    assert document["schema_version"] == SCHEMA_VERSION
    assert document["user_id"] == conversation.user_id.value
    assert conversation_from_document(document) == conversation
    assert ConversationDocument.model_validate(document).id == conversation.id.value


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2025-11-03T09:14:22.512000+00:00", datetime(2025, 11, 3, 9, 14, 22, 512000, tzinfo=UTC)),
        ("2025-12-24T23:59:59.999Z", datetime(2025, 12, 24, 23, 59, 59, 999000, tzinfo=UTC)),
        ("2026-01-15T07:00:00", datetime(2026, 1, 15, 7, 0, tzinfo=UTC)),  # no zone: UTC
        ("2026-03-09T18:45:10.123456+05:30", datetime(2026, 3, 9, 13, 15, 10, 123000, tzinfo=UTC)),
        (datetime(2026, 1, 1, 10, 0, 0, 999999), datetime(2026, 1, 1, 10, 0, 0, 999000, tzinfo=UTC)),
    ],
)
def test_legacy_times_in_every_form_become_utc_milliseconds(stored: object, expected: datetime) -> None:
    parsed = parse_legacy_time("created_at", stored)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


def test_a_time_that_is_not_iso_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        parse_legacy_time("created_at", "yesterday")


@pytest.mark.parametrize("index", range(5))
def test_every_legacy_document_upgrades_to_a_valid_current_document(index: int) -> None:
    documents = legacy_documents()
    assert len(documents) == 5
    raw = documents[index]
    original = json_util.dumps(raw)
    upgraded = upgrade_document(raw, owner=OWNER)
    assert json_util.dumps(raw) == original  # the input is not changed
    assert upgraded["schema_version"] == SCHEMA_VERSION
    assert upgraded["legacy_user_id"] == raw["user_id"]
    ConversationDocument.model_validate(upgraded)  # the declared current shape
    conversation = conversation_from_document(upgraded)
    assert conversation.id.value == str(raw["_id"])
    assert conversation.user_id == OWNER
    assert conversation.message_count == len(raw.get("messages", []))
    assert conversation.description == raw["description"]
    assert conversation.source == Source(raw["source"])
    assert conversation.starred is raw.get("starred", False)
    assert conversation.unread is raw.get("is_unread", False)
    assert conversation.is_system_generated is raw.get("is_system_generated", False)
    assert conversation.system_purpose == raw.get("system_purpose")
    assert conversation.created_at == parse_legacy_time("createdAt", raw["createdAt"])
    assert conversation.updated_at == parse_legacy_time("updatedAt", raw["updatedAt"])
    for legacy, message in zip(raw.get("messages", []), conversation.messages, strict=True):
        assert message.id.value == legacy["message_id"]
        assert message.role == (Role.ASSISTANT if legacy["type"] == "bot" else Role.USER)
        assert message.content == legacy["response"]
        assert message.created_at == parse_legacy_time("date", legacy["date"])
        assert message.pinned is legacy.get("pinned", False)
        expected_tools = [
            ToolData(t["tool_name"], t.get("data") or {}, t.get("tool_category")) for t in legacy.get("tool_data", [])
        ]
        assert list(message.tool_data) == expected_tools
        reply = legacy.get("replyToMessage")
        assert message.reply_to == (MessageId(reply["id"]) if reply else None)
    # Fields the domain has no place for stay in the document, untouched.
    for key in ("conversation_id", "metadata", "artifacts"):
        if key in raw:
            assert upgraded[key] == raw[key]
    for legacy, stored in zip(raw.get("messages", []), upgraded["messages"], strict=True):
        for key in ("follow_up_actions", "fileIds", "fileData", "error", "disclaimer", "subtype", "selectedTool"):
            if key in legacy:
                assert stored[key] == legacy[key]


def test_legacy_quirks_are_read_as_documented() -> None:
    by_id = {str(d["_id"]): d for d in legacy_documents()}
    no_messages = conversation_from_document(upgrade_document(by_id["600000000000000000000004"], owner=OWNER))
    assert no_messages.messages == []
    assert no_messages.message_count == 0
    error_reply = conversation_from_document(upgrade_document(by_id["600000000000000000000002"], owner=OWNER))
    assert error_reply.messages[1].content == ""
    assert error_reply.messages[0].content.startswith("Напомни")
    naive = conversation_from_document(upgrade_document(by_id["600000000000000000000003"], owner=OWNER))
    assert naive.created_at == datetime(2026, 1, 15, 7, 0, tzinfo=UTC)


def test_a_legacy_owner_is_never_guessed() -> None:
    raw = legacy_documents()[0]
    with pytest.raises(LegacyOwnerUnmapped) as caught:
        upgrade_document(raw)
    assert caught.value.legacy_owner == raw["user_id"]
    assert caught.value.conversation_id == str(raw["_id"])


def test_document_literals_list_every_role_and_source() -> None:
    assert set(get_args(RoleName)) == {r.value for r in Role}
    assert set(get_args(SourceName)) == {s.value for s in Source}


def test_a_newer_schema_version_is_refused() -> None:
    document = conversation_to_document(builders.conversation(TickingClock(), UserId.new()))
    document["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(InvalidInput):
        conversation_from_document(document)


def _stored(**changes: Any) -> dict[str, Any]:
    """A current document as the server returns it (a plain str role, not the enum), with some fields changed."""
    clock = TickingClock()
    conversation = builders.conversation(clock, UserId.new(), contents=["a", "b"])
    document = bson.decode(
        bson.encode(conversation_to_document(conversation), codec_options=CODEC), codec_options=CODEC
    )
    for path, value in changes.items():
        target, *rest = path.split("__")
        holder: Any = document if not rest else document["messages"][0]
        key = rest[0] if rest else target
        if value is _DROP:
            del holder[key]
        else:
            holder[key] = value
    return document


_DROP = object()
CODEC: CodecOptions[dict[str, Any]] = CodecOptions(
    tz_aware=True, tzinfo=UTC, uuid_representation=UuidRepresentation.STANDARD
)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"messages__message_id": _DROP}, "message_id"),
        ({"messages__message_id": ObjectId()}, "message_id"),
        ({"messages__role": "robot"}, "message.role"),
        ({"messages__created_at": "2024-01-01T00:00:00Z"}, "message.created_at"),
        ({"messages__pinned": 1}, "message.pinned"),
        ({"messages__tool_data": [{"data": {}}]}, "tool_name"),
        ({"message_count": -1}, "message_count"),
        ({"message_count": _DROP}, "message_count"),
        ({"user_id": "not-a-uuid"}, "user_id"),
        ({"created_at": _DROP}, "created_at"),
        ({"starred": "yes"}, "starred"),
        ({"source": "fax"}, "source"),
        ({"messages": {"not": "a list"}}, "conversation"),
    ],
    ids=lambda value: value if isinstance(value, str) else "-".join(value),
)
def test_a_corrupt_current_document_is_invalid_input_naming_the_field(changes: dict[str, Any], field: str) -> None:
    # Current documents skip the Pydantic models (docs/performance.md, reading): the domain's checks must
    # still catch every malformed field, for whole conversations and for summaries alike.
    document = _stored(**changes)
    with pytest.raises(InvalidInput) as caught:
        conversation_from_document(document)
    assert caught.value.field == field
    if "messages" not in "".join(changes):
        summary_only = {k: v for k, v in document.items() if k != "messages"}
        with pytest.raises(InvalidInput) as caught:
            summary_from_document(summary_only)
        assert caught.value.field == field


def test_a_decoded_document_reads_back_equal_with_plain_strings_for_enums() -> None:
    document = _stored()
    assert type(document["messages"][0]["role"]) is str
    conversation = conversation_from_document(document)
    assert conversation_from_document(conversation_to_document(conversation)) == conversation
    assert type(conversation.messages[0].role) is Role
    assert type(conversation.source) is Source


def test_an_upgraded_legacy_document_with_a_bad_field_is_invalid_input_not_a_pydantic_error() -> None:
    message = {"type": "user", "response": "hi", "date": "2024-01-01T00:00:01Z"}
    legacy = {"_id": ObjectId(), "user_id": uuid.uuid4(), "description": 42, "messages": [message]}
    with pytest.raises(InvalidInput) as caught:
        conversation_from_document(legacy)
    assert caught.value.field == "description"
    assert "older document shape" in str(caught.value)


def test_message_documents_hold_plain_values_the_garbage_collector_does_not_track() -> None:
    """The bulk import builds thousands of these per batch: a plain ``str`` role keeps them out of every
    collection (an enum member would make each dict tracked)."""
    clock = TickingClock()
    conversation = builders.conversation(clock, UserId.new(), contents=["a", "b"])
    conversation.messages.append(builders.message(clock, "tools", role=Role.TOOL, tools=["web_search"]))
    messages = conversation_to_document(conversation)["messages"]
    assert [type(m["role"]) for m in messages] == [str, str, str]
    assert [m["role"] for m in messages] == [m.role.value for m in conversation.messages]
    plain = [m for m, domain in zip(messages, conversation.messages, strict=True) if not domain.tool_data]
    assert len(plain) == 2
    assert not any(gc.is_tracked(m) for m in plain)


def test_gc_paused_restores_the_collector_as_it_was_also_after_an_error() -> None:
    seen: list[bool] = []

    def fails_inside() -> None:
        with gc_paused():
            seen.append(gc.isenabled())
            raise RuntimeError("boom")

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        fails_inside()
    assert seen == [False]
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # it was off before: left off
    finally:
        gc.enable()
