"""The GoalRepository contract: owner scoping, newest-first keyset pages with ties, versions, cascade."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from gaia_domain.clock import Clock, ManualClock
from gaia_domain.errors import AlreadyExists, ConcurrencyConflict, InvalidInput, NotFound
from gaia_domain.goals import Goal, Roadmap, RoadmapEdge, RoadmapNode
from gaia_domain.ids import ConversationId, GoalId, UserId
from gaia_domain.pagination import encode_cursor
from gaia_domain.testing import builders
from gaia_domain.testing.contracts._base import ContractBase, UnitOfWorkFactory, add_user, walk


async def _add_goals(uow_factory: UnitOfWorkFactory, goals: list[Goal]) -> None:
    async with uow_factory() as uow:
        for goal in goals:
            await uow.goals.add(goal)
        await uow.commit()


def _newest_first(goals: list[Goal]) -> list[GoalId]:
    return [g.id for g in sorted(goals, key=lambda g: (g.created_at, g.id), reverse=True)]


class GoalRepositoryContract(ContractBase):
    async def test_k01_goal_read_back_is_a_plain_equal_object_with_its_whole_roadmap(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        owner = await add_user(uow_factory, clock)
        roadmap = Roadmap(
            nodes=(
                RoadmapNode("a", "Read the book", "chapters 1-3", "2 weeks", ("https://doc.rust-lang.org/book/",)),
                RoadmapNode("b", "Write a CLI", completed=True),
                RoadmapNode("c", "Ship it"),
            ),
            edges=(RoadmapEdge("a", "b"), RoadmapEdge("a", "c"), RoadmapEdge("b", "c")),
        )
        goal = Goal.create(
            user_id=owner.id, title="Learn Rust", clock=clock, roadmap=roadmap, conversation_id=ConversationId.new()
        )
        await _add_goals(uow_factory, [goal])
        async with uow_factory() as uow:
            loaded = await uow.goals.get(owner.id, goal.id)
        assert loaded is not goal
        assert loaded == goal
        assert loaded.roadmap == roadmap  # node order, edges, flags and resources kept
        assert loaded.progress == 33
        assert type(loaded.id.value) is uuid.UUID
        assert loaded.created_at.utcoffset() == timedelta(0)
        assert loaded.events == []

    async def test_k05_completed_goal_times_round_trip_to_the_millisecond(self, uow_factory: UnitOfWorkFactory) -> None:
        clock = ManualClock(datetime(2026, 7, 1, 8, 30, 15, 999999, tzinfo=UTC))
        owner = await add_user(uow_factory, clock)
        goal = Goal.create(user_id=owner.id, title="Done at once", clock=clock, roadmap=builders.chain_roadmap(1))
        goal.complete_node("n1", clock)
        await _add_goals(uow_factory, [goal])
        async with uow_factory() as uow:
            loaded = await uow.goals.get(owner.id, goal.id)
        assert loaded.completed_at == datetime(2026, 7, 1, 8, 30, 15, 999000, tzinfo=UTC)
        assert loaded.completed_at is not None
        assert loaded.completed_at.utcoffset() == timedelta(0)
        assert (loaded.created_at, loaded.updated_at) == (goal.created_at, goal.updated_at)

    async def test_a_foreign_goal_behaves_exactly_like_a_missing_one(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        owner = await add_user(uow_factory, clock)
        stranger = await add_user(uow_factory, clock)
        goal = builders.goal(clock, owner.id)
        await _add_goals(uow_factory, [goal])
        async with uow_factory() as uow:
            with pytest.raises(NotFound):
                await uow.goals.get(stranger.id, goal.id)
            with pytest.raises(NotFound):
                await uow.goals.delete(stranger.id, goal.id)
            assert (await uow.goals.list(stranger.id)).items == ()
            assert await uow.goals.delete_all_for_user(stranger.id) == 0
            hijacked = await uow.goals.get(owner.id, goal.id)
            hijacked.user_id = stranger.id
            with pytest.raises(NotFound):
                await uow.goals.save(hijacked)
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.goals.get(owner.id, goal.id) == goal

    async def test_get_of_unknown_id_is_not_found(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        owner = await add_user(uow_factory, clock)
        async with uow_factory() as uow:
            with pytest.raises(NotFound):
                await uow.goals.get(owner.id, GoalId.new())

    async def test_add_for_an_unknown_owner_is_not_found(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        with pytest.raises(NotFound):
            async with uow_factory() as uow:
                await uow.goals.add(builders.goal(clock, UserId.new()))
                await uow.commit()

    async def test_add_with_a_taken_id_is_already_exists(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        owner = await add_user(uow_factory, clock)
        goal = builders.goal(clock, owner.id)
        await _add_goals(uow_factory, [goal])
        twin = builders.goal(clock, owner.id, title="Twin")
        twin.id = goal.id
        with pytest.raises(AlreadyExists):
            await _add_goals(uow_factory, [twin])
        async with uow_factory() as uow:
            assert (await uow.goals.get(owner.id, goal.id)).title == goal.title

    async def test_save_writes_the_roadmap_and_increments_the_version(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        owner = await add_user(uow_factory, clock)
        goal = builders.goal(clock, owner.id, nodes=2)
        await _add_goals(uow_factory, [goal])
        async with uow_factory() as uow:
            loaded = await uow.goals.get(owner.id, goal.id)
            loaded.complete_node("n1", clock)
            loaded.edit(clock=clock, title="Learn Rust well")
            await uow.goals.save(loaded)
            assert loaded.version == 2
            await uow.commit()
        async with uow_factory() as uow:
            stored = await uow.goals.get(owner.id, goal.id)
        assert stored == loaded
        assert (stored.title, stored.progress, stored.version, stored.completed_at) == ("Learn Rust well", 50, 2, None)

    async def test_save_with_a_stale_version_is_a_concurrency_conflict(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        owner = await add_user(uow_factory, clock)
        goal = builders.goal(clock, owner.id)
        await _add_goals(uow_factory, [goal])
        async with uow_factory() as uow:
            first = await uow.goals.get(owner.id, goal.id)
            first.complete_node("n1", clock)
            await uow.goals.save(first)
            await uow.commit()
        goal.edit(clock=clock, title="Stale edit")  # still version 1
        with pytest.raises(ConcurrencyConflict):
            async with uow_factory() as uow:
                await uow.goals.save(goal)
                await uow.commit()
        async with uow_factory() as uow:
            stored = await uow.goals.get(owner.id, goal.id)
        assert (stored.title, stored.version, stored.progress) == (first.title, 2, 33)

    async def test_save_of_a_deleted_goal_is_not_found(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        owner = await add_user(uow_factory, clock)
        goal = builders.goal(clock, owner.id)
        await _add_goals(uow_factory, [goal])
        async with uow_factory() as uow:
            await uow.goals.delete(owner.id, goal.id)
            await uow.commit()
        with pytest.raises(NotFound):
            async with uow_factory() as uow:
                await uow.goals.save(goal)

    async def test_list_orders_newest_first_with_ties_broken_by_id_descending(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        clock = ManualClock(datetime(2026, 2, 1, tzinfo=UTC))
        owner = await add_user(uow_factory, clock)
        goals: list[Goal] = []
        for step in (0, 0, 0, 5, 5, 9):  # three goals share one time, two another
            clock.advance(timedelta(milliseconds=step))
            goals.append(builders.goal(clock, owner.id, title=f"goal {len(goals)}"))
        await _add_goals(uow_factory, goals)
        async with uow_factory() as uow:
            everything = await uow.goals.list(owner.id, limit=200)
            paged = await walk(lambda c: uow.goals.list(owner.id, limit=2, cursor=c))
        assert [g.id for g in everything.items] == _newest_first(goals)
        assert [g.id for g in paged] == _newest_first(goals)
        assert everything.next_cursor is None

    async def test_k09_walking_goal_pages_while_inserting_returns_each_existing_goal_once(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        clock = ManualClock(datetime(2026, 2, 1, tzinfo=UTC))
        owner = await add_user(uow_factory, clock)
        existing: list[Goal] = []
        for index in range(9):
            if index % 3 == 0:
                clock.advance()
            existing.append(builders.goal(clock, owner.id, title=f"goal {index}"))  # ties in threes
        await _add_goals(uow_factory, existing)

        async def insert_one() -> None:  # new goals at the same time as the oldest and at a newer time
            clock.advance()
            await _add_goals(uow_factory, [builders.goal(clock, owner.id, title="new")])
            late = builders.goal(clock, owner.id, title="backdated")
            late.created_at = existing[0].created_at
            await _add_goals(uow_factory, [late])

        async with uow_factory() as uow:
            seen = await walk(lambda c: uow.goals.list(owner.id, limit=2, cursor=c), insert_one)
        ids = [g.id for g in seen]
        assert len(ids) == len(set(ids))
        assert [i for i in ids if i in {g.id for g in existing}] == _newest_first(existing)
        keys = [(g.created_at, g.id) for g in seen]
        assert keys == sorted(keys, reverse=True)

    async def test_list_pages_never_mix_owners(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        owner = await add_user(uow_factory, clock)
        other = await add_user(uow_factory, clock)
        mine = [builders.goal(clock, owner.id) for _ in range(3)]
        await _add_goals(uow_factory, [*mine, builders.goal(clock, other.id), builders.goal(clock, other.id)])
        async with uow_factory() as uow:
            seen = await walk(lambda c: uow.goals.list(owner.id, limit=2, cursor=c))
        assert [g.id for g in seen] == _newest_first(mine)

    @pytest.mark.parametrize(
        "cursor",
        [
            "%%%",
            encode_cursor("users", {"id": str(uuid.uuid4())}),
            encode_cursor("goals", {"t": "yesterday", "id": str(uuid.uuid4())}),
            encode_cursor("goals", {"t": "2026-01-01T00:00:00+00:00", "id": "nope"}),
            encode_cursor("goals", {"t": "2026-01-01T00:00:00", "id": str(uuid.uuid4())}),
        ],
    )
    async def test_list_rejects_a_malformed_or_foreign_cursor(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, cursor: str
    ) -> None:
        owner = await add_user(uow_factory, clock)
        async with uow_factory() as uow:
            with pytest.raises(InvalidInput) as caught:
                await uow.goals.list(owner.id, cursor=cursor)
        assert caught.value.field == "cursor"

    async def test_delete_all_for_user_counts_and_spares_other_owners(
        self, uow_factory: UnitOfWorkFactory, clock: Clock
    ) -> None:
        owner = await add_user(uow_factory, clock)
        other = await add_user(uow_factory, clock)
        kept = builders.goal(clock, other.id)
        await _add_goals(uow_factory, [builders.goal(clock, owner.id), builders.goal(clock, owner.id), kept])
        async with uow_factory() as uow:
            assert await uow.goals.delete_all_for_user(owner.id) == 2
            await uow.commit()
        async with uow_factory() as uow:
            assert (await uow.goals.list(owner.id)).items == ()
            assert [g.id for g in (await uow.goals.list(other.id)).items] == [kept.id]
            assert await uow.goals.delete_all_for_user(owner.id) == 0

    async def test_deleting_the_owner_deletes_their_goals(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        owner = await add_user(uow_factory, clock)
        goal = builders.goal(clock, owner.id)
        await _add_goals(uow_factory, [goal])
        async with uow_factory() as uow:
            await uow.users.delete(owner.id)
            await uow.commit()
        async with uow_factory() as uow:
            with pytest.raises(NotFound):
                await uow.goals.get(owner.id, goal.id)
