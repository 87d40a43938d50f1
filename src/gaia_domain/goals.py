"""The Goal aggregate (stored in PostgreSQL): a title and a roadmap DAG of nodes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

from gaia_domain import validation as v
from gaia_domain.clock import Clock
from gaia_domain.errors import InvalidInput, NotFound
from gaia_domain.events import Event, GoalCompleted, GoalCreated
from gaia_domain.ids import ConversationId, GoalId, UserId

T = TypeVar("T")

MAX_TITLE = 200
MAX_DESCRIPTION = 5_000
MAX_NODE_ID = 64
MAX_LABEL = 200
MAX_DETAILS = 2_000
MAX_ESTIMATE = 100
MAX_RESOURCE = 500
MAX_RESOURCES = 20
MAX_NODES = 200


@dataclass(frozen=True, slots=True)
class RoadmapNode:
    id: str
    label: str
    details: str = ""
    estimated_time: str | None = None
    resources: tuple[str, ...] = ()
    completed: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", v.text("roadmap.nodes.id", self.id, max_length=MAX_NODE_ID))
        object.__setattr__(self, "label", v.text("roadmap.nodes.label", self.label, max_length=MAX_LABEL))
        object.__setattr__(
            self, "details", v.text("roadmap.nodes.details", self.details, max_length=MAX_DETAILS, allow_empty=True)
        )
        object.__setattr__(
            self,
            "estimated_time",
            v.optional_text("roadmap.nodes.estimated_time", self.estimated_time, max_length=MAX_ESTIMATE),
        )
        given: object = self.resources
        if not isinstance(given, tuple | list):  # a lone string would be split into its characters
            raise InvalidInput("roadmap.nodes.resources", f"must be a list of strings, got {type(given).__name__}")
        resources = tuple(given)
        if len(resources) > MAX_RESOURCES:
            raise InvalidInput("roadmap.nodes.resources", f"at most {MAX_RESOURCES} resources")
        object.__setattr__(
            self, "resources", tuple(v.text("roadmap.nodes.resources", r, max_length=MAX_RESOURCE) for r in resources)
        )
        if not isinstance(self.completed, bool):
            raise InvalidInput("roadmap.nodes.completed", "must be a boolean")


@dataclass(frozen=True, slots=True)
class RoadmapEdge:
    source: str
    target: str

    def __post_init__(self) -> None:
        for name in ("source", "target"):
            if not isinstance(getattr(self, name), str):
                raise InvalidInput(
                    f"roadmap.edges.{name}", f"must be a node id string, got {type(getattr(self, name)).__name__}"
                )


def _items(name: str, value: object, kind: type[T]) -> tuple[T, ...]:
    """A tuple of ``kind`` from a tuple or list of them; anything else is InvalidInput naming the field."""
    if not isinstance(value, tuple | list):
        raise InvalidInput(name, f"must be a list of {kind.__name__}, got {type(value).__name__}")
    wrong = next((item for item in value if not isinstance(item, kind)), None)
    if wrong is not None:
        raise InvalidInput(name, f"must hold {kind.__name__} items, got {type(wrong).__name__}")
    return tuple(value)


@dataclass(frozen=True, slots=True)
class Roadmap:
    """Nodes and the edges between them; the edges form a DAG over existing nodes."""

    nodes: tuple[RoadmapNode, ...] = ()
    edges: tuple[RoadmapEdge, ...] = ()

    def __post_init__(self) -> None:
        nodes, edges = (
            _items("roadmap.nodes", self.nodes, RoadmapNode),
            _items("roadmap.edges", self.edges, RoadmapEdge),
        )
        if len(nodes) > MAX_NODES:
            raise InvalidInput("roadmap.nodes", f"at most {MAX_NODES} nodes")
        ids = [n.id for n in nodes]
        if len(set(ids)) != len(ids):
            raise InvalidInput("roadmap.nodes", "node ids must be unique")
        known = set(ids)
        seen_edges: set[tuple[str, str]] = set()
        for edge in edges:
            if edge.source not in known or edge.target not in known:
                raise InvalidInput(
                    "roadmap.edges", f"edge {edge.source!r:.40}->{edge.target!r:.40} names a missing node"
                )
            if edge.source == edge.target:
                raise InvalidInput("roadmap.edges", f"edge on {edge.source!r:.40} points to itself (a cycle)")
            if (edge.source, edge.target) in seen_edges:
                raise InvalidInput("roadmap.edges", f"duplicate edge {edge.source!r:.40}->{edge.target!r:.40}")
            seen_edges.add((edge.source, edge.target))
        _check_acyclic(ids, edges)
        object.__setattr__(self, "nodes", nodes)
        object.__setattr__(self, "edges", edges)

    @property
    def progress(self) -> int:
        """Completed nodes as a whole percent (rounded down); 0 for an empty roadmap."""
        if not self.nodes:
            return 0
        return sum(n.completed for n in self.nodes) * 100 // len(self.nodes)

    @property
    def is_complete(self) -> bool:
        return bool(self.nodes) and all(n.completed for n in self.nodes)

    def node(self, node_id: str) -> RoadmapNode:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise NotFound("roadmap node", node_id)


def _check_acyclic(ids: Sequence[str], edges: Iterable[RoadmapEdge]) -> None:
    """Kahn's algorithm: if some node never reaches in-degree 0, the edges contain a cycle."""
    indegree = dict.fromkeys(ids, 0)
    successors: dict[str, list[str]] = {i: [] for i in ids}
    for edge in edges:
        successors[edge.source].append(edge.target)
        indegree[edge.target] += 1
    ready = [i for i, d in indegree.items() if d == 0]
    visited = 0
    while ready:
        current = ready.pop()
        visited += 1
        for nxt in successors[current]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    if visited != len(indegree):
        raise InvalidInput("roadmap.edges", "the edges form a cycle (a roadmap must be a DAG)")


@dataclass(eq=False)
class Goal:
    id: GoalId
    user_id: UserId
    title: str
    created_at: datetime
    updated_at: datetime
    description: str = ""
    roadmap: Roadmap = field(default_factory=Roadmap)
    conversation_id: ConversationId | None = None
    completed_at: datetime | None = None
    version: int = 1
    events: list[Event] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, GoalId):
            raise InvalidInput("goal_id", "must be a GoalId")
        if not isinstance(self.user_id, UserId):
            raise InvalidInput("user_id", "must be a UserId")
        self.title = v.text("title", self.title, max_length=MAX_TITLE)
        self.description = v.text("description", self.description, max_length=MAX_DESCRIPTION, allow_empty=True)
        if not isinstance(self.roadmap, Roadmap):
            raise InvalidInput("roadmap", "must be a Roadmap")
        if self.conversation_id is not None and not isinstance(self.conversation_id, ConversationId):
            raise InvalidInput("conversation_id", "must be a ConversationId")
        self.created_at = v.utc_ms("created_at", self.created_at)
        self.updated_at = v.utc_ms("updated_at", self.updated_at)
        if self.completed_at is not None:
            self.completed_at = v.utc_ms("completed_at", self.completed_at)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Goal) and self.snapshot() == other.snapshot()

    __hash__ = None  # type: ignore[assignment]

    def snapshot(self) -> tuple[object, ...]:
        return (
            self.id,
            self.user_id,
            self.title,
            self.description,
            self.roadmap,
            self.conversation_id,
            self.created_at,
            self.updated_at,
            self.completed_at,
            self.version,
        )

    @property
    def progress(self) -> int:
        return self.roadmap.progress

    @classmethod
    def create(
        cls,
        *,
        user_id: UserId,
        title: str,
        clock: Clock,
        description: str = "",
        roadmap: Roadmap | None = None,
        conversation_id: ConversationId | None = None,
        goal_id: GoalId | None = None,
    ) -> Goal:
        now = clock.now()
        goal = cls(
            id=goal_id or GoalId.new(),
            user_id=user_id,
            title=title,
            description=description,
            roadmap=roadmap or Roadmap(),
            conversation_id=conversation_id,
            created_at=now,
            updated_at=now,
        )
        goal.events.append(GoalCreated(occurred_at=now, user_id=user_id, goal_id=goal.id, title=goal.title))
        goal._complete_if_done(now)
        return goal

    def edit(
        self, *, clock: Clock, title: str | None = None, description: str | None = None, roadmap: Roadmap | None = None
    ) -> None:
        new_title = v.text("title", title, max_length=MAX_TITLE) if title is not None else self.title
        new_description = (
            v.text("description", description, max_length=MAX_DESCRIPTION, allow_empty=True)
            if description is not None
            else self.description
        )
        if roadmap is not None and not isinstance(roadmap, Roadmap):
            raise InvalidInput("roadmap", "must be a Roadmap")
        self.title, self.description = new_title, new_description
        if roadmap is not None:
            self.roadmap = roadmap
            if not roadmap.is_complete:
                self.completed_at = None
        self.updated_at = clock.now()
        self._complete_if_done(self.updated_at)

    def complete_node(self, node_id: str, clock: Clock) -> None:
        """Mark one node complete; completing the last one completes the goal (once)."""
        node = self.roadmap.node(node_id)
        if node.completed:
            return
        nodes = tuple(replace(n, completed=True) if n.id == node_id else n for n in self.roadmap.nodes)
        self.roadmap = Roadmap(nodes=nodes, edges=self.roadmap.edges)
        self.updated_at = clock.now()
        self._complete_if_done(self.updated_at)

    def _complete_if_done(self, now: datetime) -> None:
        if self.roadmap.is_complete and self.completed_at is None:
            self.completed_at = now
            self.events.append(
                GoalCompleted(
                    occurred_at=now,
                    user_id=self.user_id,
                    goal_id=self.id,
                    title=self.title,
                    conversation_id=self.conversation_id,
                )
            )
