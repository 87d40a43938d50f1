"""What the shared contracts cannot force on the fakes alone: copies in and out, commit-time validation."""

from __future__ import annotations

import pytest

from gaia_adapters.memory import MemoryConversationStore, MemoryDatabase, MemoryUnitOfWork
from gaia_domain.clock import TickingClock
from gaia_domain.errors import ConcurrencyConflict, DuplicateEmail, NotFound
from gaia_domain.ids import UserId
from gaia_domain.ports import ConversationStore, UnitOfWork, UnitOfWorkState
from gaia_domain.testing import builders
from gaia_domain.users import Email


@pytest.fixture
def database() -> MemoryDatabase:
    return MemoryDatabase()


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock()


def test_the_fakes_satisfy_the_ports(database: MemoryDatabase) -> None:
    uow: UnitOfWork = MemoryUnitOfWork(database)
    store: ConversationStore = MemoryConversationStore()
    assert uow.state is UnitOfWorkState.NEW
    assert store is not None


async def test_callers_never_share_state_with_the_fake(database: MemoryDatabase, clock: TickingClock) -> None:
    user = builders.user(clock)
    async with MemoryUnitOfWork(database) as uow:
        await uow.users.add(user)
        user.name = "changed after add"  # the INSERT already happened
        await uow.commit()
    async with MemoryUnitOfWork(database) as uow:
        loaded = await uow.users.get(user.id)
        loaded.name = "changed after get"
    async with MemoryUnitOfWork(database) as uow:
        assert (await uow.users.get(user.id)).name == "Ada Lovelace"
        assert (await uow.users.list()).items[0].name == "Ada Lovelace"


async def test_conversation_store_copies_in_and_out(clock: TickingClock) -> None:
    store = MemoryConversationStore()
    owner = UserId.new()
    conversation = builders.conversation(clock, owner, contents=["a"])
    await store.add(conversation)
    conversation.messages.append(builders.message(clock))
    page = await store.messages_page(owner, conversation.id)
    pinned_before = await store.pinned_messages(owner)
    loaded = await store.get(owner, conversation.id)
    loaded.messages.clear()
    assert len(page.items) == 1
    assert pinned_before == []
    assert len((await store.get(owner, conversation.id)).messages) == 1


async def test_a_stale_save_is_caught_at_commit_when_both_wrote_before_either_committed(
    database: MemoryDatabase, clock: TickingClock
) -> None:
    user = builders.user(clock)
    async with MemoryUnitOfWork(database) as uow:
        await uow.users.add(user)
        await uow.commit()
    first, second = MemoryUnitOfWork(database), MemoryUnitOfWork(database)
    async with first, second:
        mine, theirs = await first.users.get(user.id), await second.users.get(user.id)
        mine.name, theirs.name = "First", "Second"
        await first.users.save(mine)
        await second.users.save(theirs)  # PostgreSQL would block here until the first commits
        await first.commit()
        with pytest.raises(ConcurrencyConflict):
            await second.commit()
        assert second.state is UnitOfWorkState.ROLLED_BACK
    async with MemoryUnitOfWork(database) as uow:
        stored = await uow.users.get(user.id)
    assert (stored.name, stored.version) == ("First", 2)


async def test_the_unique_email_is_checked_again_at_commit(database: MemoryDatabase, clock: TickingClock) -> None:
    first, second = MemoryUnitOfWork(database), MemoryUnitOfWork(database)
    async with first, second:
        await first.users.add(builders.user(clock, email="same@example.com"))
        await second.users.add(builders.user(clock, email="SAME@example.com"))
        await first.commit()
        with pytest.raises(DuplicateEmail):
            await second.commit()
    assert [u.email for u in database.users.values()] == [Email("same@example.com")]


async def test_a_goal_whose_owner_was_deleted_meanwhile_is_not_committed(
    database: MemoryDatabase, clock: TickingClock
) -> None:
    owner = builders.user(clock)
    async with MemoryUnitOfWork(database) as uow:
        await uow.users.add(owner)
        await uow.commit()
    adding, deleting = MemoryUnitOfWork(database), MemoryUnitOfWork(database)
    async with adding, deleting:
        await adding.goals.add(builders.goal(clock, owner.id))
        await deleting.users.delete(owner.id)
        await deleting.commit()
        with pytest.raises(NotFound):
            await adding.commit()
    assert database.goals == {}
    assert database.users == {}


async def test_events_of_a_failed_unit_of_work_stay_on_the_aggregates(
    database: MemoryDatabase, clock: TickingClock
) -> None:
    async with MemoryUnitOfWork(database) as uow:
        await uow.users.add(builders.user(clock, email="taken@example.com"))
        await uow.commit()
    late = builders.user(clock, email="Taken@example.com")
    first = MemoryUnitOfWork(database)
    with pytest.raises(DuplicateEmail):
        async with first:
            await first.users.add(late)
    assert len(late.events) == 1
    assert len(database.outbox) == 1
    assert database.outbox[0].created_at.tzinfo is not None
