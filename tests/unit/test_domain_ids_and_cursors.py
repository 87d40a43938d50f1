"""Laws of ids and keyset cursors (property tests), and how malformed values are rejected."""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gaia_adapters.memory import MemoryConversationStore, MemoryDatabase, MemoryUnitOfWork
from gaia_domain.errors import InvalidInput
from gaia_domain.ids import ConversationId, EventId, GoalId, MessageId, UserId, uuid7
from gaia_domain.pagination import MAX_PAGE_SIZE, decode_cursor, encode_cursor, page_size
from gaia_domain.testing import strategies as gs

UUID_IDS = [UserId, GoalId, EventId]
HEX_IDS = [ConversationId, MessageId]


@pytest.mark.parametrize("kind", UUID_IDS)
@given(value=st.uuids())
def test_uuid_ids_parse_their_own_string(kind: type[UserId], value: uuid.UUID) -> None:
    identifier = kind(value)
    assert kind.parse(str(identifier)) == identifier
    assert kind.parse(str(identifier).upper()) == identifier
    assert type(kind.parse(str(identifier)).value) is uuid.UUID


@pytest.mark.parametrize("kind", HEX_IDS)
@given(raw=st.binary(min_size=12, max_size=12))
def test_hex_ids_parse_their_own_string(kind: type[ConversationId], raw: bytes) -> None:
    identifier = kind(raw.hex())
    assert kind.parse(str(identifier)) == identifier
    assert kind.parse(f"  {str(identifier).upper()} ") == identifier
    assert type(identifier.value) is str


@pytest.mark.parametrize(("kind", "field"), [(UserId, "user_id"), (GoalId, "goal_id"), (EventId, "event_id")])
@given(raw=gs.malformed_uuid_strings)
def test_malformed_uuid_ids_are_invalid_input_naming_the_field(kind: type[UserId], field: str, raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        kind.parse(raw)
    assert caught.value.field == field


@pytest.mark.parametrize(("kind", "field"), [(ConversationId, "conversation_id"), (MessageId, "message_id")])
@given(raw=gs.malformed_hex_ids)
def test_malformed_hex_ids_are_invalid_input_naming_the_field(kind: type[ConversationId], field: str, raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        kind.parse(raw)
    assert caught.value.field == field


def test_k06_k10_ids_hold_plain_python_types() -> None:
    assert type(UserId.new().value) is uuid.UUID
    assert type(GoalId.new().value) is uuid.UUID
    assert type(ConversationId.new().value) is str
    with pytest.raises(InvalidInput):
        UserId("0190c2a4-0000-7000-8000-000000000000")  # type: ignore[arg-type]  # a str is not a UUID
    with pytest.raises(InvalidInput):
        ConversationId.parse(b"\x00" * 12)


def test_uuid7_has_version_7_variant_rfc_and_millisecond_order() -> None:
    values = [uuid7() for _ in range(200)]
    assert all(v.version == 7 and v.variant == uuid.RFC_4122 for v in values)
    stamps = [v.int >> 80 for v in values]
    assert stamps == sorted(stamps)  # time-ordered to the millisecond


def test_object_ids_are_unique_and_derived_ids_are_stable() -> None:
    assert len({ConversationId.new() for _ in range(1000)}) == 1000
    assert ConversationId.derive("event", "1") == ConversationId.derive("event", "1")
    assert ConversationId.derive("event", "1") != ConversationId.derive("event", "2")


keys = st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=30) | st.integers(-(2**53), 2**53), max_size=4)


@given(kind=st.sampled_from(["users", "goals", "conversations", "messages"]), key=keys)
def test_cursor_round_trip(kind: str, key: dict[str, str | int]) -> None:
    assert decode_cursor(kind, encode_cursor(kind, key)) == key


@given(key=keys)
def test_a_cursor_of_another_list_is_invalid_cursor(key: dict[str, str | int]) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_cursor("goals", encode_cursor("users", key))
    assert caught.value.field == "cursor"


@given(cursor=gs.malformed_cursors)
def test_malformed_cursors_are_rejected_by_every_list_of_the_fakes(cursor: str) -> None:
    async def every_list() -> None:
        store, database, owner = MemoryConversationStore(), MemoryDatabase(), UserId.new()
        calls: list[Callable[[], Awaitable[object]]] = [
            lambda: store.list(owner, cursor=cursor),
            lambda: store.messages_page(owner, ConversationId.new(), cursor=cursor),
        ]
        async with MemoryUnitOfWork(database) as uow:
            calls += [lambda: uow.users.list(cursor=cursor), lambda: uow.goals.list(owner, cursor=cursor)]
            for call in calls:
                with pytest.raises(InvalidInput) as caught:
                    await call()
                assert caught.value.field == "cursor"

    asyncio.run(every_list())


@given(position=st.integers(min_value=0))
def test_a_cursor_edited_anywhere_is_invalid_cursor(position: int) -> None:
    good = encode_cursor("users", {"id": "0190c2a4-0000-7000-8000-000000000000"})
    at = position % (len(good) - 2)  # the last characters may only carry padding bits
    edited = good[:at] + ("B" if good[at] == "A" else "A") + good[at + 1 :]
    for token in (edited, good[:-4], good + "AAAA"):
        with pytest.raises(InvalidInput) as caught:
            decode_cursor("users", token)
        assert caught.value.field == "cursor"


@given(size=st.integers(min_value=-5, max_value=MAX_PAGE_SIZE + 5))
def test_page_size_accepts_exactly_1_to_200(size: int) -> None:
    if 1 <= size <= MAX_PAGE_SIZE:
        assert page_size(size) == size
    else:
        with pytest.raises(InvalidInput) as caught:
            page_size(size)
        assert caught.value.field == "limit"


@pytest.mark.parametrize("size", [True, 1.5, "10", None])
def test_page_size_must_be_an_int(size: object) -> None:
    with pytest.raises(InvalidInput):
        page_size(size)


def _signed(body: bytes) -> str:
    """A token whose digest is right: the key is in the source, so anyone can make one."""
    from gaia_domain.pagination import _sign

    return base64.urlsafe_b64encode(body + _sign(body)).decode().rstrip("=")


@pytest.mark.parametrize(
    "body",
    [b"null", b"[1, 2]", b'"users"', b"42", b"\xff\xfe", b"{", b'{"k": "users", "v": {"id": NaN}'],
    ids=["null", "list", "string", "number", "not-utf8", "not-json", "truncated"],
)
def test_a_signed_body_that_is_not_a_json_object_is_invalid_cursor(body: bytes) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_cursor("users", _signed(body))
    assert caught.value.field == "cursor"


def test_uuid7_ids_increase_strictly_within_a_millisecond_and_keep_their_layout() -> None:
    """Users list by id "in creation order": ids made in the same millisecond must sort as they were made."""
    made = [UserId.new().value for _ in range(20_000)]  # far more than one per millisecond
    assert all(earlier < later for earlier, later in itertools.pairwise(made))
    assert {(u.version, u.variant) for u in made} == {(7, uuid.RFC_4122)}
    now_ms = time.time_ns() // 1_000_000
    assert abs((made[-1].int >> 80) - now_ms) < 60_000  # the leading 48 bits are still the time
