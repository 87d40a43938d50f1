"""Bad input through the services: the right error naming the field, and the stored state exactly as before."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from unit_world import World, make_world

from gaia_domain.conversations import Conversation
from gaia_domain.errors import ConcurrencyConflict, DomainError, DuplicateEmail, InvalidInput, NotFound
from gaia_domain.goals import Goal, Roadmap, RoadmapEdge, RoadmapNode
from gaia_domain.ids import ConversationId, GoalId, MessageId, UserId
from gaia_domain.pagination import encode_cursor
from gaia_domain.services import NewMessage
from gaia_domain.testing import strategies as gs
from gaia_domain.users import OnboardingPhase, User


@dataclass
class Seeded:
    world: World
    ada: User
    bob: User
    goal: Goal
    chat: Conversation
    other_chat: Conversation


async def seeded() -> Seeded:
    world = make_world()
    ada = await world.users.register(email="Ada@Example.com", name="Ada")
    bob = await world.users.register(email="bob@example.com", name="Bob")
    await world.users.update_onboarding(ada.id, phase=OnboardingPhase.GETTING_STARTED)
    goal = await world.goals.create(ada.id, title="Learn Rust", roadmap=Roadmap(nodes=(RoadmapNode("a", "A"),)))
    chat = await world.conversations.start(
        ada.id, messages=[NewMessage("user", "hello"), NewMessage("assistant", "hi")]
    )
    other_chat = await world.conversations.start(ada.id, messages=[NewMessage("user", "a"), NewMessage("user", "b")])
    return Seeded(world, ada, bob, goal, chat, other_chat)


Attempt = Callable[[Seeded], Awaitable[object]]


async def _page_cursor(s: Seeded) -> str:
    page = await s.world.conversations.messages_page(s.ada.id, s.chat.id, limit=1)
    assert page.next_cursor is not None
    return page.next_cursor


async def _cross_cursor(s: Seeded) -> object:
    return await s.world.conversations.messages_page(s.ada.id, s.other_chat.id, cursor=await _page_cursor(s))


CASES: list[tuple[str, Attempt, type[DomainError], str | None]] = [
    ("invalid email", lambda s: s.world.users.register(email="ada-at-example", name="A"), InvalidInput, "email"),
    ("taken email", lambda s: s.world.users.register(email="ADA@example.com", name="A"), DuplicateEmail, None),
    ("oversize name", lambda s: s.world.users.register(email="c@example.com", name="x" * 101), InvalidInput, "name"),
    ("NUL in name", lambda s: s.world.users.update_profile(s.ada.id, name="A\x00"), InvalidInput, "name"),
    ("bad timezone", lambda s: s.world.users.update_profile(s.ada.id, timezone="Moon/Base"), InvalidInput, "timezone"),
    (
        "onboarding backwards",
        lambda s: s.world.users.update_onboarding(s.ada.id, phase="initial"),
        InvalidInput,
        "onboarding.phase",
    ),
    (
        "preferences of the wrong type",
        lambda s: s.world.users.update_onboarding(s.ada.id, preferences={"profession": "x"}),  # type: ignore[arg-type]
        InvalidInput,
        "onboarding.preferences",
    ),
    (
        "clear_picture not a boolean",
        lambda s: s.world.users.update_profile(s.ada.id, clear_picture="no"),  # type: ignore[arg-type]
        InvalidInput,
        "clear_picture",
    ),
    (
        "a new picture and clear_picture",
        lambda s: s.world.users.update_profile(s.ada.id, picture_url="https://example.org/a.png", clear_picture=True),
        InvalidInput,
        "picture_url",
    ),
    ("unknown user", lambda s: s.world.users.update_profile(UserId.new(), name="X"), NotFound, None),
    ("malformed user id", lambda s: s.world.users.get(UserId.parse("not-a-uuid")), InvalidInput, "user_id"),
    ("bad page size", lambda s: s.world.users.list(limit=0), InvalidInput, "limit"),
    ("malformed users cursor", lambda s: s.world.users.list(cursor="garbage"), InvalidInput, "cursor"),
    (
        "roadmap cycle",
        lambda s: s.world.goals.create(
            s.ada.id,
            title="Loop",
            roadmap=Roadmap(
                nodes=(RoadmapNode("a", "A"), RoadmapNode("b", "B")),
                edges=(RoadmapEdge("a", "b"), RoadmapEdge("b", "a")),
            ),
        ),
        InvalidInput,
        "roadmap.edges",
    ),
    (
        "roadmap nodes that are not nodes",
        lambda s: s.world.goals.edit(s.ada.id, s.goal.id, roadmap=Roadmap(nodes=("a",))),  # type: ignore[arg-type]
        InvalidInput,
        "roadmap.nodes",
    ),
    (
        "roadmap edges as pairs",
        lambda s: s.world.goals.edit(s.ada.id, s.goal.id, roadmap=Roadmap(edges=(("a", "b"),))),  # type: ignore[arg-type]
        InvalidInput,
        "roadmap.edges",
    ),
    (
        "roadmap edge on a list",
        lambda s: s.world.goals.edit(s.ada.id, s.goal.id, roadmap=Roadmap(edges=(RoadmapEdge(["a"], "a"),))),  # type: ignore[arg-type]
        InvalidInput,
        "roadmap.edges.source",
    ),
    (
        "resources as one string",
        lambda s: s.world.goals.edit(
            s.ada.id,
            s.goal.id,
            roadmap=Roadmap(nodes=(RoadmapNode("a", "A", resources="https://docs.rs"),)),  # type: ignore[arg-type]
        ),
        InvalidInput,
        "roadmap.nodes.resources",
    ),
    ("oversize title", lambda s: s.world.goals.create(s.ada.id, title="t" * 201), InvalidInput, "title"),
    (
        "goal linked to a foreign conversation",
        lambda s: s.world.goals.create(s.bob.id, title="Theirs", conversation_id=s.chat.id),
        NotFound,
        None,
    ),
    (
        "goal linked to a missing conversation",
        lambda s: s.world.goals.create(s.ada.id, title="Nowhere", conversation_id=ConversationId.new()),
        NotFound,
        None,
    ),
    ("goal for unknown user", lambda s: s.world.goals.create(UserId.new(), title="T"), NotFound, None),
    ("foreign goal", lambda s: s.world.goals.edit(s.bob.id, s.goal.id, title="Mine"), NotFound, None),
    ("unknown goal", lambda s: s.world.goals.complete_node(s.ada.id, GoalId.new(), "a"), NotFound, None),
    ("unknown node", lambda s: s.world.goals.complete_node(s.ada.id, s.goal.id, "zz"), NotFound, None),
    (
        "stale goal edit",
        lambda s: s.world.goals.edit(s.ada.id, s.goal.id, title="Old", expected_version=0),
        ConcurrencyConflict,
        None,
    ),
    (
        "goals cursor of users",
        lambda s: s.world.goals.list(s.ada.id, cursor=encode_cursor("users", {"id": str(s.ada.id)})),
        InvalidInput,
        "cursor",
    ),
    ("chat for unknown user", lambda s: s.world.conversations.start(UserId.new()), NotFound, None),
    (
        "naive message time",
        lambda s: s.world.conversations.send_messages(
            s.ada.id, s.chat.id, [NewMessage("user", "x", created_at=datetime(2026, 1, 1))]
        ),
        InvalidInput,
        "message.created_at",
    ),
    (
        "messages not a list",
        lambda s: s.world.conversations.send_messages(s.ada.id, s.chat.id, None),  # type: ignore[arg-type]
        InvalidInput,
        "messages",
    ),
    (
        "oversize message",
        lambda s: s.world.conversations.send_messages(s.ada.id, s.chat.id, [NewMessage("user", "x" * 100_001)]),
        InvalidInput,
        "message.content",
    ),
    (
        "one bad message in a batch",
        lambda s: s.world.conversations.send_messages(
            s.ada.id, s.chat.id, [NewMessage("user", "fine"), NewMessage("robot", "bad role")]
        ),
        InvalidInput,
        "message.role",
    ),
    (
        "foreign conversation",
        lambda s: s.world.conversations.send_messages(s.bob.id, s.chat.id, [NewMessage("user", "x")]),
        NotFound,
        None,
    ),
    (
        "edit with NUL",
        lambda s: s.world.conversations.edit_message(s.ada.id, s.chat.id, s.chat.messages[0].id, "a\x00"),
        InvalidInput,
        "message.content",
    ),
    (
        "edit unknown message",
        lambda s: s.world.conversations.edit_message(s.ada.id, s.chat.id, MessageId.new(), "x"),
        NotFound,
        None,
    ),
    (
        "pin foreign",
        lambda s: s.world.conversations.pin_message(s.bob.id, s.chat.id, s.chat.messages[0].id),
        NotFound,
        None,
    ),
    (
        "oversize rename",
        lambda s: s.world.conversations.rename(s.ada.id, s.chat.id, "d" * 201),
        InvalidInput,
        "description",
    ),
    (
        "malformed conversation id",
        lambda s: s.world.conversations.get(s.ada.id, ConversationId.parse("xyz")),
        InvalidInput,
        "conversation_id",
    ),
    ("malformed list cursor", lambda s: s.world.conversations.list(s.ada.id, cursor="%%%"), InvalidInput, "cursor"),
    (
        "cursor of another conversation",
        lambda s: _cross_cursor(s),
        InvalidInput,
        "cursor",
    ),
    ("NUL search", lambda s: s.world.conversations.search(s.ada.id, "a\x00"), InvalidInput, "text"),
    ("unknown source", lambda s: s.world.conversations.list(s.ada.id, source="fax"), InvalidInput, "source"),
    (
        "bad last_messages",
        lambda s: s.world.conversations.get(s.ada.id, s.chat.id, last_messages=0),
        InvalidInput,
        "last_messages",
    ),
]


@pytest.mark.parametrize(("attempt", "error", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_bad_input_is_rejected_naming_the_field_and_leaves_the_state_unchanged(
    attempt: Attempt, error: type[DomainError], field: str | None
) -> None:
    s = await seeded()
    before, delivered = s.world.snapshot(), len(s.world.delivered)
    with pytest.raises(error) as caught:
        await attempt(s)
    if field is not None:
        assert isinstance(caught.value, InvalidInput)
        assert caught.value.field == field
    assert s.world.snapshot() == before
    assert len(s.world.delivered) == delivered  # nothing was announced either


def _unchanged_after(attempt: Attempt, error: type[DomainError], field: str) -> None:
    async def run() -> None:
        s = await seeded()
        before = s.world.snapshot()
        with pytest.raises(error) as caught:
            await attempt(s)
        assert getattr(caught.value, "field", None) == field
        assert s.world.snapshot() == before

    asyncio.run(run())


hostile_short_text = gs.nul_text | gs.lone_surrogate_text


@settings(max_examples=25, deadline=None)
@given(name=hostile_short_text | gs.oversize_text(100) | st.just("   "))
def test_hostile_names_change_nothing(name: str) -> None:
    _unchanged_after(lambda s: s.world.users.update_profile(s.ada.id, name=name), InvalidInput, "name")


@settings(max_examples=25, deadline=None)
@given(email=gs.malformed_emails | hostile_short_text)
def test_hostile_emails_change_nothing(email: str) -> None:
    _unchanged_after(lambda s: s.world.users.register(email=email, name="X"), InvalidInput, "email")


@settings(max_examples=25, deadline=None)
@given(description=hostile_short_text | gs.oversize_text(200))
def test_hostile_descriptions_change_nothing(description: str) -> None:
    _unchanged_after(
        lambda s: s.world.conversations.rename(s.ada.id, s.chat.id, description), InvalidInput, "description"
    )


@settings(max_examples=25, deadline=None)
@given(text=gs.regex_metacharacters | gs.mongo_operators)
def test_pattern_and_operator_text_is_stored_and_searched_as_literal_data(text: str) -> None:
    async def run() -> None:
        s = await seeded()
        sent = await s.world.conversations.send_messages(s.ada.id, s.chat.id, [NewMessage("user", f"<{text}>")])
        hits = await s.world.conversations.search(s.ada.id, text)
        expected = [(s.chat.id, (sent[0].id,))] if text.strip() else []
        assert [(h.conversation.id, h.message_ids) for h in hits] == expected
        stored = await s.world.conversations.get(s.ada.id, s.chat.id, last_messages=1)
        assert stored.messages[0].content == f"<{text}>"

    asyncio.run(run())
