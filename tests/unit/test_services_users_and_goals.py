"""User and goal use cases on the fakes: stored effects, versions and the events delivered after commit."""

from __future__ import annotations

import asyncio

import pytest
from unit_world import World

from gaia_domain.errors import ConcurrencyConflict, DuplicateEmail, InvalidInput, NotFound
from gaia_domain.events import GoalCompleted, GoalCreated, OnboardingCompleted, UserDeleted, UserRegistered
from gaia_domain.testing import builders
from gaia_domain.users import OnboardingPhase, Preferences


async def test_register_stores_the_user_and_delivers_user_registered_once(world: World) -> None:
    user = await world.users.register(email=" Grace@Example.com ", name="Grace", timezone="America/New_York")
    stored = await world.users.get_by_email("grace@EXAMPLE.com")
    assert stored == user
    assert (stored.email.value, stored.timezone, stored.version) == ("Grace@Example.com", "America/New_York", 1)
    assert [type(e) for e in world.delivered] == [UserRegistered]
    assert world.delivered[0].user_id == user.id  # type: ignore[attr-defined]
    assert [r.type_name for r in world.database.outbox] == ["UserRegistered"]
    assert user.events == []


async def test_k04_concurrent_registrations_with_one_address_register_exactly_one_user(world: World) -> None:
    outcomes = await asyncio.gather(
        *(world.users.register(email=e, name="Twin") for e in ("twin@example.com", "TWIN@example.com")),
        return_exceptions=True,
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["DuplicateEmail", "User"]
    assert len((await world.users.list()).items) == 1
    assert [type(e) for e in world.delivered] == [UserRegistered]  # only the committed registration is announced


async def test_k01_a_returned_user_reads_every_field_after_its_unit_of_work_closed(world: World) -> None:
    user = await world.users.register(email="k01@example.com", name="Plain", picture_url="https://example.com/a.png")
    user = await world.users.record_activity(user.id)
    fields = (user.id, user.email, user.name, user.picture_url, user.created_at, user.updated_at, user.last_active_at)
    assert all(value is not None for value in fields)
    assert user == await world.users.get(user.id)
    assert user.version == 2


async def test_profile_and_onboarding_changes_persist_and_completion_is_announced_once(world: World) -> None:
    user = await world.users.register(email="flow@example.com", name="Flow")
    await world.users.update_profile(user.id, name="Flow Two", timezone="Europe/Paris")
    await world.users.update_onboarding(user.id, phase=OnboardingPhase.PERSONALIZATION_PENDING)
    await world.users.update_onboarding(user.id, preferences=Preferences(profession="Chemist"))
    await world.users.update_onboarding(user.id, phase=OnboardingPhase.COMPLETED)
    await world.users.update_onboarding(user.id, phase=OnboardingPhase.COMPLETED)
    with pytest.raises(InvalidInput):
        await world.users.update_onboarding(user.id, phase=OnboardingPhase.GETTING_STARTED)
    stored = await world.users.get(user.id)
    assert (stored.name, stored.timezone, stored.version) == ("Flow Two", "Europe/Paris", 6)
    assert stored.onboarding.preferences.profession == "Chemist"
    assert stored.onboarding.phase is OnboardingPhase.COMPLETED
    assert [type(e) for e in world.delivered] == [UserRegistered, OnboardingCompleted]


async def test_deleting_a_user_deletes_their_goals_and_announces_user_deleted(world: World) -> None:
    leaving = await world.users.register(email="leaving@example.com", name="Leaving")
    staying = await world.users.register(email="staying@example.com", name="Staying")
    for title in ("one", "two"):
        await world.goals.create(leaving.id, title=title)
    kept = await world.goals.create(staying.id, title="kept")
    await world.users.delete(leaving.id)
    with pytest.raises(NotFound):
        await world.users.get(leaving.id)
    assert (await world.goals.list(leaving.id)).items == ()
    assert {g.id for g in world.database.goals.values()} == {kept.id}
    deleted = [e for e in world.delivered if isinstance(e, UserDeleted)]
    assert [e.user_id for e in deleted] == [leaving.id]
    with pytest.raises(NotFound):
        await world.users.delete(leaving.id)


async def test_a_goal_completed_node_by_node_announces_goal_completed_exactly_once(world: World) -> None:
    owner = await world.users.register(email="goals@example.com", name="Goals")
    goal = await world.goals.create(owner.id, title="Run a marathon", roadmap=builders.chain_roadmap(3))
    progress = [(await world.goals.complete_node(owner.id, goal.id, n)).progress for n in ("n1", "n2", "n2", "n3")]
    assert progress == [33, 66, 66, 100]
    again = await world.goals.complete_node(owner.id, goal.id, "n3")
    assert again.completed_at is not None
    completed = [e for e in world.delivered if isinstance(e, GoalCompleted)]
    assert [e.goal_id for e in completed] == [goal.id]
    assert [type(e) for e in world.delivered].count(GoalCreated) == 1
    stored = await world.goals.get(owner.id, goal.id)
    assert (stored.progress, stored.completed_at, stored.version) == (100, again.completed_at, 4)


async def test_concurrent_node_completions_retry_and_complete_the_goal_once(world: World) -> None:
    owner = await world.users.register(email="race@example.com", name="Race")
    goal = await world.goals.create(owner.id, title="Both at once", roadmap=builders.chain_roadmap(2))
    await asyncio.gather(
        world.goals.complete_node(owner.id, goal.id, "n1"), world.goals.complete_node(owner.id, goal.id, "n2")
    )
    stored = await world.goals.get(owner.id, goal.id)
    assert stored.progress == 100
    assert stored.version == 3
    assert sum(isinstance(e, GoalCompleted) for e in world.delivered) == 1


async def test_a_stale_goal_edit_is_refused_and_the_fresh_one_wins(world: World) -> None:
    owner = await world.users.register(email="edit@example.com", name="Edit")
    goal = await world.goals.create(owner.id, title="Draft")
    await world.goals.edit(owner.id, goal.id, title="Fresh", expected_version=1)
    with pytest.raises(ConcurrencyConflict):
        await world.goals.edit(owner.id, goal.id, title="Stale", expected_version=1)
    assert (await world.goals.get(owner.id, goal.id)).title == "Fresh"


@pytest.mark.parametrize("expected_version", ["1", 1.0, True, -1, 2**31, 10**20])
async def test_a_goal_edit_with_a_malformed_expected_version_is_invalid_input_and_changes_nothing(
    world: World, expected_version: object
) -> None:
    # PostgreSQL's version column is a 32-bit integer: such a value used to reach asyncpg (StoreUnavailable, a 503).
    owner = await world.users.register(email="version@example.com", name="Version")
    goal = await world.goals.create(owner.id, title="Draft")
    with pytest.raises(InvalidInput) as caught:
        await world.goals.edit(owner.id, goal.id, title="Changed", expected_version=expected_version)  # type: ignore[arg-type]
    assert caught.value.field == "expected_version"
    stored = await world.goals.get(owner.id, goal.id)
    assert (stored.title, stored.version) == ("Draft", 1)


async def test_goals_list_newest_first_and_delete(world: World) -> None:
    owner = await world.users.register(email="list@example.com", name="List")
    created = [await world.goals.create(owner.id, title=f"goal {i}") for i in range(5)]
    page = await world.goals.list(owner.id, limit=3)
    rest = await world.goals.list(owner.id, limit=3, cursor=page.next_cursor)
    assert [g.title for g in (*page.items, *rest.items)] == [f"goal {i}" for i in reversed(range(5))]
    await world.goals.delete(owner.id, created[0].id)
    with pytest.raises(NotFound):
        await world.goals.get(owner.id, created[0].id)


async def test_a_duplicate_registration_announces_nothing_and_stores_nothing(world: World) -> None:
    await world.users.register(email="once@example.com", name="Once")
    before = world.snapshot()
    with pytest.raises(DuplicateEmail):
        await world.users.register(email="ONCE@example.com", name="Twice")
    assert world.snapshot() == before
    assert [type(e) for e in world.delivered] == [UserRegistered]


async def test_eight_concurrent_completions_of_one_goal_all_succeed(world: World) -> None:
    # Documented as retried on a concurrent save: with three immediate retries, writers in lockstep lost to each
    # other and five of the eight callers got ConcurrencyConflict.
    owner = await world.users.register(email="crowd@example.com", name="Crowd")
    goal = await world.goals.create(owner.id, title="Eight at once", roadmap=builders.chain_roadmap(8))
    results = await asyncio.gather(
        *(world.goals.complete_node(owner.id, goal.id, f"n{i}") for i in range(1, 9)), return_exceptions=True
    )
    assert [type(r).__name__ for r in results if isinstance(r, BaseException)] == []
    stored = await world.goals.get(owner.id, goal.id)
    assert (stored.progress, stored.version) == (100, 9)
    assert sum(isinstance(e, GoalCompleted) for e in world.delivered) == 1


async def test_concurrent_goal_edits_without_a_version_all_land(world: World) -> None:
    """No expected_version: each editor's fields are applied to the fresh goal; nobody gets a conflict."""
    owner = await world.users.register(email="editors@example.com", name="Editors")
    goal = await world.goals.create(owner.id, title="Before", description="before")
    results = await asyncio.gather(
        world.goals.edit(owner.id, goal.id, title="After"),
        world.goals.edit(owner.id, goal.id, description="after"),
        *(world.goals.edit(owner.id, goal.id, roadmap=builders.chain_roadmap(i)) for i in range(1, 9)),
        return_exceptions=True,
    )
    assert [type(r).__name__ for r in results if isinstance(r, BaseException)] == []
    stored = await world.goals.get(owner.id, goal.id)
    assert (stored.title, stored.description, stored.version) == ("After", "after", 11)


async def test_a_stale_expected_version_still_conflicts_and_changes_nothing(world: World) -> None:
    owner = await world.users.register(email="stale@example.com", name="Stale")
    goal = await world.goals.create(owner.id, title="v1")
    await world.goals.edit(owner.id, goal.id, title="v2")
    before = world.snapshot()
    with pytest.raises(ConcurrencyConflict):
        await world.goals.edit(owner.id, goal.id, title="v3", expected_version=goal.version)
    assert world.snapshot() == before


async def test_concurrent_user_changes_all_land_without_a_conflict(world: World) -> None:
    """record_activity runs on every request of an app: it must not make a profile or onboarding change fail."""
    user = await world.users.register(email="busy@example.com", name="Busy")
    results = await asyncio.gather(
        *(world.users.record_activity(user.id) for _ in range(6)),
        world.users.update_profile(user.id, name="Busy Bee"),
        world.users.update_profile(user.id, timezone="Europe/Paris"),
        world.users.update_onboarding(user.id, preferences=Preferences(profession="Beekeeper")),
        return_exceptions=True,
    )
    assert [type(r).__name__ for r in results if isinstance(r, BaseException)] == []
    stored = await world.users.get(user.id)
    assert (stored.name, stored.timezone, stored.onboarding.preferences.profession) == (
        "Busy Bee",
        "Europe/Paris",
        "Beekeeper",
    )
    assert stored.version == 1 + 9


async def test_string_user_ids_are_accepted_by_every_use_case_alike(world: World) -> None:
    user = await world.users.register(email="strings@example.com", name="Strings")
    as_text = str(user.id)
    goal = await world.goals.create(as_text, title="From a string")  # type: ignore[arg-type]
    chat = await world.conversations.start(as_text)  # type: ignore[arg-type]
    assert (goal.user_id, chat.user_id) == (user.id, user.id)
    assert [g.id for g in (await world.goals.list(as_text)).items] == [goal.id]  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as caught:
        await world.goals.create("not-a-uuid", title="Bad")  # type: ignore[arg-type]
    assert caught.value.field == "user_id"
