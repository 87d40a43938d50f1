"""Small builders of valid aggregates for tests (deterministic apart from generated ids)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from gaia_domain.clock import Clock
from gaia_domain.conversations import Conversation, Message, Role, Source, ToolData
from gaia_domain.goals import Goal, Roadmap, RoadmapEdge, RoadmapNode
from gaia_domain.ids import UserId
from gaia_domain.users import User

_serial = itertools.count(1)


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}{next(_serial)}@example.com"


def user(clock: Clock, *, email: str | None = None, name: str = "Ada Lovelace", legacy_id: str | None = None) -> User:
    return User.register(email=email or unique_email(), name=name, clock=clock, legacy_id=legacy_id)


def chain_roadmap(size: int) -> Roadmap:
    """Nodes n1..n<size> joined in a chain n1 -> n2 -> ... (a DAG)."""
    nodes = tuple(RoadmapNode(id=f"n{i}", label=f"Step {i}", details=f"do step {i}") for i in range(1, size + 1))
    edges = tuple(RoadmapEdge(f"n{i}", f"n{i + 1}") for i in range(1, size))
    return Roadmap(nodes=nodes, edges=edges)


def goal(clock: Clock, owner: UserId, *, title: str = "Learn Rust", nodes: int = 3) -> Goal:
    return Goal.create(
        user_id=owner, title=title, clock=clock, description="one step at a time", roadmap=chain_roadmap(nodes)
    )


def message(clock: Clock, content: str = "hello", *, role: Role = Role.USER, tools: Sequence[str] = ()) -> Message:
    return Message.new(
        role=role,
        content=content,
        clock=clock,
        tool_data=[ToolData(tool_name=t, data={"query": content, "n": 1}, category="search") for t in tools],
    )


def conversation(
    clock: Clock,
    owner: UserId,
    *,
    description: str = "New Chat",
    source: Source = Source.WEB,
    contents: Sequence[str] = (),
) -> Conversation:
    return Conversation.start(
        user_id=owner,
        clock=clock,
        description=description,
        source=source,
        messages=[
            message(clock, text, role=Role.USER if i % 2 == 0 else Role.ASSISTANT) for i, text in enumerate(contents)
        ],
    )
