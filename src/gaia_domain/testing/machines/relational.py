"""Random operation sequences on users and goals through units of work, compared with a reference."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

from gaia_domain.clock import ManualClock
from gaia_domain.events import Event, event_to_payload
from gaia_domain.goals import Goal
from gaia_domain.ids import GoalId, UserId
from gaia_domain.ports import UnitOfWork
from gaia_domain.testing import builders
from gaia_domain.testing import strategies as gs
from gaia_domain.testing.contracts._base import UnitOfWorkFactory
from gaia_domain.testing.machines._paired import PairedMachine, walk
from gaia_domain.users import OnboardingPhase, User

limits = st.sampled_from([1, 2, 3, 4, 1, 2, 3, 0])  # mostly valid, sometimes out of range


def _events(events: Sequence[Event]) -> list[tuple[str, dict[str, Any]]]:
    """Events as both sides must report them (event ids differ when each side raised its own)."""
    return [(e.type_name, {k: v for k, v in event_to_payload(e).items() if k != "event_id"}) for e in events]


class UnitOfWorkMachine(PairedMachine[UnitOfWorkFactory]):
    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
        self.users: list[tuple[UserId, str]] = []
        self.goals: list[tuple[UserId, GoalId, int]] = []

    def tick(self, ms: int) -> None:
        self.clock.advance(timedelta(milliseconds=ms))

    def _user_id(self, data: st.DataObject) -> UserId:
        known = bool(self.users) and data.draw(st.integers(0, 7), label="unknown user") != 0
        return data.draw(st.sampled_from(self.users))[0] if known else data.draw(gs.user_ids)

    async def _commit(self, factory: UnitOfWorkFactory, *aggregates: User | Goal) -> list[tuple[str, dict[str, Any]]]:
        async with factory() as uow:
            for aggregate in aggregates:
                if isinstance(aggregate, User):
                    await uow.users.add(copy.deepcopy(aggregate))
                else:
                    await uow.goals.add(copy.deepcopy(aggregate))
            await uow.commit()
        return _events(uow.committed_events)

    @initialize(
        ids=st.lists(gs.user_ids, min_size=2, max_size=2, unique=True),
        goal_ids=st.lists(gs.goal_ids, min_size=2, max_size=2, unique=True),
    )
    def two_users_with_a_goal_each(self, ids: list[UserId], goal_ids: list[GoalId]) -> None:
        """Every example starts with data, so the other rules meet real users and goals."""
        for index, (user_id, goal_id) in enumerate(zip(ids, goal_ids, strict=True)):
            self._seed(User.register(email=f"Seed{index}@Example.com", name="Seed", clock=self.clock, user_id=user_id))
            self._seed(
                Goal.create(
                    user_id=user_id, title="seed", clock=self.clock, roadmap=builders.chain_roadmap(2), goal_id=goal_id
                )
            )

    def _seed(self, aggregate: User | Goal) -> None:
        self.compare("seed", lambda f: self._commit(f, aggregate))
        if isinstance(aggregate, User):
            self.users.append((aggregate.id, aggregate.email.value))
        else:
            self.goals.append((aggregate.user_id, aggregate.id, len(aggregate.roadmap.nodes)))

    @rule(data=st.data(), user_id=gs.user_ids, name=gs.nonblank_text(20), ms=st.integers(0, 2))
    def register(self, data: st.DataObject, user_id: UserId, name: str, ms: int) -> None:
        self.tick(ms)
        reuse = bool(self.users) and data.draw(st.booleans(), label="reuse an address")
        if reuse:
            email = data.draw(gs.case_variants(data.draw(st.sampled_from(self.users))[1]))
        else:
            email = data.draw(gs.emails)
        user = User.register(email=email, name=name, clock=self.clock, user_id=user_id)
        if self.compare("register", lambda f: self._commit(f, user))[0] == "ok":
            self.users.append((user.id, user.email.value))

    @rule(data=st.data())
    def get_user(self, data: st.DataObject) -> None:
        user_id = self._user_id(data)

        async def get(factory: UnitOfWorkFactory) -> User:
            async with factory() as uow:
                return await uow.users.get(user_id)

        self.compare("get user", get)

    @rule(data=st.data())
    def get_by_email(self, data: st.DataObject) -> None:
        known = bool(self.users) and data.draw(st.booleans(), label="known address")
        if known:
            email = data.draw(gs.case_variants(data.draw(st.sampled_from(self.users))[1]))
        else:
            email = data.draw(gs.emails | gs.malformed_emails)

        async def get(factory: UnitOfWorkFactory) -> User:
            async with factory() as uow:
                return await uow.users.get_by_email(email)

        self.compare("get by email", get)

    @precondition(lambda self: self.users)
    @rule(
        data=st.data(),
        name=st.none() | gs.nonblank_text(20),
        phase=st.none() | st.sampled_from(OnboardingPhase),
        stale=st.booleans(),
        ms=st.integers(0, 2),
    )
    def change_user(
        self, data: st.DataObject, name: str | None, phase: OnboardingPhase | None, stale: bool, ms: int
    ) -> None:
        self.tick(ms)
        user_id = data.draw(st.sampled_from(self.users))[0]

        async def change(factory: UnitOfWorkFactory) -> object:
            async with factory() as uow:
                user = await uow.users.get(user_id)
                user.update_profile(clock=self.clock, name=name)
                user.update_onboarding(clock=self.clock, phase=phase)
                if stale:
                    user.version -= 1
                await uow.users.save(user)
                await uow.commit()
            return user, _events(uow.committed_events)

        self.compare("change user", change)

    @precondition(lambda self: self.users)
    @rule(data=st.data())
    def delete_user(self, data: st.DataObject) -> None:
        user_id = self._user_id(data)

        async def delete(factory: UnitOfWorkFactory) -> object:
            async with factory() as uow:
                user = await uow.users.get(user_id)
                user.mark_deleted(self.clock)
                await uow.users.delete(user_id)
                await uow.commit()
            return _events(uow.committed_events)

        self.compare("delete user", delete)

    @rule(data=st.data(), goal_id=gs.goal_ids, nodes=st.integers(0, 3), ms=st.integers(0, 1))
    def add_goal(self, data: st.DataObject, goal_id: GoalId, nodes: int, ms: int) -> None:
        self.tick(ms)
        owner = self._user_id(data)
        goal = Goal.create(
            user_id=owner, title="goal", clock=self.clock, roadmap=builders.chain_roadmap(nodes), goal_id=goal_id
        )
        if self.compare("add goal", lambda f: self._commit(f, goal))[0] == "ok":
            self.goals.append((owner, goal_id, nodes))

    @precondition(lambda self: self.goals)
    @rule(data=st.data(), stale=st.booleans(), ms=st.integers(0, 2))
    def complete_node(self, data: st.DataObject, stale: bool, ms: int) -> None:
        self.tick(ms)
        owner, goal_id, nodes = data.draw(st.sampled_from(self.goals))
        node = f"n{data.draw(st.integers(1, max(nodes, 1)))}"
        if data.draw(st.integers(0, 9), label="as a stranger") == 0:
            owner = self._user_id(data)

        async def complete(factory: UnitOfWorkFactory) -> object:
            async with factory() as uow:
                goal = await uow.goals.get(owner, goal_id)
                goal.complete_node(node, self.clock)
                if stale:
                    goal.version -= 1
                await uow.goals.save(goal)
                await uow.commit()
            return goal, _events(uow.committed_events)

        self.compare("complete node", complete)

    @precondition(lambda self: self.goals)
    @rule(data=st.data(), everything=st.booleans())
    def delete_goals(self, data: st.DataObject, everything: bool) -> None:
        owner, goal_id, _ = data.draw(st.sampled_from(self.goals))
        if data.draw(st.integers(0, 9), label="as a stranger") == 0:
            owner = self._user_id(data)

        async def delete(factory: UnitOfWorkFactory) -> object:
            async with factory() as uow:
                deleted = 1
                if everything:
                    deleted = await uow.goals.delete_all_for_user(owner)
                else:
                    await uow.goals.delete(owner, goal_id)
                await uow.commit()
            return deleted

        self.compare("delete goals", delete)

    @rule(data=st.data(), user_id=gs.user_ids, commit_inner=st.booleans(), fail_outer=st.booleans())
    def nested_work(self, data: st.DataObject, user_id: UserId, commit_inner: bool, fail_outer: bool) -> None:
        """Outer work, a savepoint with more work, then commit or leave without commit."""
        outer = User.register(email=data.draw(gs.emails), name="outer", clock=self.clock, user_id=user_id)
        inner_goal_owner = self._user_id(data)
        inner_goal = Goal.create(
            user_id=inner_goal_owner, title="inner", clock=self.clock, goal_id=data.draw(gs.goal_ids)
        )

        async def nested(factory: UnitOfWorkFactory) -> object:
            uow: UnitOfWork
            async with factory() as uow:
                await uow.users.add(copy.deepcopy(outer))
                async with uow:
                    await uow.goals.add(copy.deepcopy(inner_goal))
                    if commit_inner:
                        await uow.commit()
                if not fail_outer:
                    await uow.commit()
            return uow.state, _events(uow.committed_events)

        outcome = self.compare("nested", nested)
        if outcome[0] == "ok" and not fail_outer:
            self.users.append((outer.id, outer.email.value))
            if commit_inner:
                self.goals.append((inner_goal_owner, inner_goal.id, 0))

    @rule(limit=limits)
    def list_users(self, limit: int) -> None:
        async def pages(factory: UnitOfWorkFactory) -> object:
            async with factory() as uow:
                return await walk(lambda c: uow.users.list(limit=limit, cursor=c))

        self.compare("list users", pages)

    @rule(data=st.data(), limit=limits)
    def list_goals(self, data: st.DataObject, limit: int) -> None:
        owner = self._user_id(data)

        async def pages(factory: UnitOfWorkFactory) -> object:
            async with factory() as uow:
                return await walk(lambda c: uow.goals.list(owner, limit=limit, cursor=c))

        self.compare("list goals", pages)

    @rule(cursor=gs.malformed_cursors)
    def list_with_a_bad_cursor(self, cursor: str) -> None:
        async def bad(factory: UnitOfWorkFactory) -> object:
            async with factory() as uow:
                return await uow.users.list(cursor=cursor)

        self.compare("bad cursor", bad)

    @invariant()
    def everything_stored_agrees(self) -> None:
        async def everything(factory: UnitOfWorkFactory) -> object:
            async with factory() as uow:
                users, _ = await walk(lambda c: uow.users.list(limit=200, cursor=c))
                goals = [(await uow.goals.list(u.id, limit=200)).items for u in users]
            return users, goals

        self.compare("stored state", everything)
