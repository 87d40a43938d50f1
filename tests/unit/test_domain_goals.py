"""Goal and roadmap invariants: a DAG over existing nodes, derived progress, completion raised once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gaia_domain.clock import ManualClock, TickingClock
from gaia_domain.errors import InvalidInput, NotFound
from gaia_domain.events import GoalCompleted, GoalCreated
from gaia_domain.goals import MAX_NODES, MAX_TITLE, Goal, Roadmap, RoadmapEdge, RoadmapNode
from gaia_domain.ids import UserId
from gaia_domain.testing import builders
from gaia_domain.testing import strategies as gs

CLOCK = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))


@given(parts=gs.cyclic_roadmap_parts())
def test_a_roadmap_with_a_cycle_is_rejected(parts: tuple[tuple[RoadmapNode, ...], tuple[RoadmapEdge, ...]]) -> None:
    nodes, edges = parts
    with pytest.raises(InvalidInput) as caught:
        Roadmap(nodes=nodes, edges=edges)
    assert caught.value.field == "roadmap.edges"


@given(roadmap=gs.roadmaps())
def test_progress_is_completed_times_100_floor_divided_by_total(roadmap: Roadmap) -> None:
    total = len(roadmap.nodes)
    done = sum(n.completed for n in roadmap.nodes)
    assert roadmap.progress == (done * 100 // total if total else 0)
    assert 0 <= roadmap.progress <= 100
    assert roadmap.is_complete == (total > 0 and done == total)


@pytest.mark.parametrize(
    ("nodes", "edges", "field"),
    [
        (("a", "a"), (), "roadmap.nodes"),
        (("a",), (("a", "b"),), "roadmap.edges"),
        (("a", "b"), (("a", "b"), ("a", "b")), "roadmap.edges"),
        (("a",), (("a", "a"),), "roadmap.edges"),
        (("a", "b", "c"), (("a", "b"), ("b", "c"), ("c", "a")), "roadmap.edges"),
    ],
)
def test_roadmap_structure_rules(nodes: tuple[str, ...], edges: tuple[tuple[str, str], ...], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Roadmap(nodes=tuple(RoadmapNode(n, n) for n in nodes), edges=tuple(RoadmapEdge(a, b) for a, b in edges))
    assert caught.value.field == field


def test_roadmap_size_and_node_fields_are_bounded() -> None:
    with pytest.raises(InvalidInput) as caught:
        Roadmap(nodes=tuple(RoadmapNode(f"n{i}", "x") for i in range(MAX_NODES + 1)))
    assert caught.value.field == "roadmap.nodes"
    for kwargs, field in [
        ({"id": "", "label": "x"}, "roadmap.nodes.id"),
        ({"id": "a", "label": "x" * 201}, "roadmap.nodes.label"),
        ({"id": "a", "label": "x", "resources": ("r",) * 21}, "roadmap.nodes.resources"),
        ({"id": "a", "label": "x\x00"}, "roadmap.nodes.label"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            RoadmapNode(**kwargs)  # type: ignore[arg-type]
        assert caught.value.field == field


@pytest.mark.parametrize(("title", "field"), [("", "title"), ("x" * (MAX_TITLE + 1), "title"), ("a\ud800", "title")])
def test_goal_title_rules_on_create_and_edit(title: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Goal.create(user_id=UserId.new(), title=title, clock=CLOCK)
    assert caught.value.field == field
    goal = builders.goal(CLOCK, UserId.new())
    before = goal.snapshot()
    with pytest.raises(InvalidInput) as caught:
        goal.edit(clock=CLOCK, title=title, description="changed too")
    assert caught.value.field == field
    assert goal.snapshot() == before


def test_completing_nodes_one_by_one_raises_goal_completed_exactly_once() -> None:
    clock = TickingClock()
    goal = builders.goal(clock, UserId.new(), nodes=3)
    assert [type(e) for e in goal.events] == [GoalCreated]
    progress = []
    for node in ("n2", "n1", "n1", "n3", "n3"):
        goal.complete_node(node, clock)
        progress.append(goal.progress)
    assert progress == [33, 66, 66, 100, 100]
    assert [type(e) for e in goal.events] == [GoalCreated, GoalCompleted]
    assert goal.completed_at is not None
    with pytest.raises(NotFound):
        goal.complete_node("n9", clock)


def test_replacing_the_roadmap_with_an_unfinished_one_reopens_the_goal() -> None:
    goal = builders.goal(CLOCK, UserId.new(), nodes=1)
    goal.complete_node("n1", CLOCK)
    completed = [goal.completed_at]
    goal.edit(clock=CLOCK, roadmap=builders.chain_roadmap(2))
    completed.append(goal.completed_at)
    assert completed == [CLOCK.now(), None]
    assert goal.progress == 0
    with pytest.raises(InvalidInput) as caught:
        goal.edit(clock=CLOCK, roadmap="a -> b")  # type: ignore[arg-type]
    assert caught.value.field == "roadmap"


@given(goal=gs.goals(), data=st.data())
def test_generated_goals_keep_their_dag_and_utc_millisecond_times(goal: Goal, data: st.DataObject) -> None:
    assert goal.created_at.tzinfo is UTC
    assert goal.created_at.microsecond % 1000 == 0
    order = {n.id: i for i, n in enumerate(goal.roadmap.nodes)}
    assert all(order[e.source] < order[e.target] for e in goal.roadmap.edges)
    assert (goal.completed_at is not None) == goal.roadmap.is_complete
