"""Conversation use cases on the fakes: a realistic session end to end, K05 and K08 through the service."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from unit_world import World

from gaia_domain.conversations import Conversation, Role, Source, ToolData
from gaia_domain.errors import NotFound
from gaia_domain.services import NewMessage
from gaia_domain.users import User


async def _user(world: World, name: str = "Ada") -> User:
    return await world.users.register(email=f"{name.lower()}@example.com", name=name)


async def test_a_session_with_tools_pins_search_and_stats(world: World) -> None:
    ada = await _user(world)
    chat = await world.conversations.start(ada.id, description="Weekend", source="telegram")
    question, answer = await world.conversations.send_messages(
        ada.id,
        chat.id,
        [
            NewMessage(Role.USER, "What's the weather in Lisbon?"),
            NewMessage(Role.ASSISTANT, "Sunny, 24°C.", tool_data=(ToolData("weather", {"city": "Lisbon"}, "web"),)),
        ],
    )
    await world.conversations.pin_message(ada.id, chat.id, answer.id)
    await world.conversations.edit_message(ada.id, chat.id, question.id, "What's the weather in LISBON today?")
    await world.conversations.rename(ada.id, chat.id, "  Lisbon weekend  ")
    await world.conversations.star(ada.id, chat.id)
    await world.conversations.mark_read(ada.id, chat.id, read=False)

    loaded = await world.conversations.get(ada.id, chat.id)
    assert [m.id for m in loaded.messages] == [question.id, answer.id]
    assert loaded.messages[0].content == "What's the weather in LISBON today?"
    assert loaded.messages[0].edited_at is not None
    assert (loaded.description, loaded.starred, loaded.unread, loaded.source) == (
        "Lisbon weekend",
        True,
        True,
        Source.TELEGRAM,
    )
    assert [p.message.id for p in await world.conversations.pinned(ada.id)] == [answer.id]
    hits = await world.conversations.search(ada.id, "lisbon")
    assert [(h.description_matches, h.message_ids) for h in hits] == [(True, (question.id,))]
    stats = await world.conversations.stats(ada.id)
    assert (stats.conversations, stats.messages, stats.pinned, stats.top_tools) == (1, 2, 1, (("weather", 1),))
    assert (await world.conversations.list(ada.id, starred=True, source="telegram")).items[0].id == chat.id
    newest = await world.conversations.messages_page(ada.id, chat.id, limit=1)
    assert [m.id for m in newest.items] == [answer.id]
    assert [m.id for m in (await world.conversations.get(ada.id, chat.id, last_messages=1)).messages] == [answer.id]


async def test_k05_times_given_with_an_offset_read_back_in_utc_milliseconds(world: World) -> None:
    ada = await _user(world)
    written = datetime(2026, 8, 1, 7, 0, 0, 123456, tzinfo=timezone(timedelta(hours=9)))
    chat = await world.conversations.start(ada.id, messages=[NewMessage("user", "early", created_at=written)])
    loaded = await world.conversations.get(ada.id, chat.id)
    assert loaded.messages[0].created_at == datetime(2026, 7, 31, 22, 0, 0, 123000, tzinfo=UTC)
    assert loaded.messages[0].created_at.utcoffset() == timedelta(0)


async def test_k08_fifty_concurrent_sends_keep_every_message(world: World) -> None:
    ada = await _user(world)
    chat = await world.conversations.start(ada.id)
    sent = await asyncio.gather(
        *(world.conversations.send_messages(ada.id, chat.id, [NewMessage("user", f"m{i}")]) for i in range(50))
    )
    loaded = await world.conversations.get(ada.id, chat.id)
    assert loaded.message_count == 50
    assert {m.id for m in loaded.messages} == {batch[0].id for batch in sent}


async def test_starting_a_conversation_needs_an_existing_user_and_ids_stay_private(world: World) -> None:
    ada, bob = await _user(world, "Ada"), await _user(world, "Bob")
    chat = await world.conversations.start(ada.id, messages=[NewMessage("user", "secret")])
    with pytest.raises(NotFound):
        await world.conversations.get(bob.id, chat.id)
    assert await world.conversations.search(bob.id, "secret") == []
    await world.conversations.delete(ada.id, chat.id)
    with pytest.raises(NotFound):
        await world.conversations.get(ada.id, chat.id)


async def test_importing_conversations_is_idempotent(world: World) -> None:
    ada = await _user(world)
    batch = [Conversation.start(user_id=ada.id, clock=world.clock, description=f"import {i}") for i in range(3)]
    assert await world.conversations.import_conversations(batch) == 3
    assert await world.conversations.import_conversations(batch) == 0
    assert len((await world.conversations.list(ada.id)).items) == 3
