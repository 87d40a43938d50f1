"""Domain objects to statement arguments and rows back to plain domain objects.

Rows come from our own schema, written only through these functions from already validated aggregates,
so reading builds the objects through their normal constructors (which validate again) and nothing
else: no ORM identity map, no lazy attribute, no link back to the connection (K01).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from gaia_domain.events import Event, event_to_payload
from gaia_domain.goals import Goal, Roadmap, RoadmapEdge, RoadmapNode
from gaia_domain.ids import ConversationId, GoalId, UserId
from gaia_domain.users import Email, Onboarding, OnboardingPhase, Preferences, User

Row = Sequence[Any]  # an asyncpg Record, read by position in the order of sql.USER_COLUMNS / GOAL_COLUMNS

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def plain_uuid(value: uuid.UUID) -> uuid.UUID:
    """asyncpg returns its own UUID subclass; the domain holds exactly ``uuid.UUID`` (K10)."""
    return value if type(value) is uuid.UUID else uuid.UUID(bytes=value.bytes)


# -- users ---------------------------------------------------------------------------------------------------


def onboarding_json(onboarding: Onboarding) -> str:
    prefs = onboarding.preferences
    completed = onboarding.completed_at
    return _dumps(
        {
            "phase": onboarding.phase.value,
            "preferences": {
                "profession": prefs.profession,
                "response_style": prefs.response_style,
                "custom_instructions": prefs.custom_instructions,
            },
            "completed_at": completed.isoformat() if completed is not None else None,
        }
    )


def onboarding_from(data: Mapping[str, Any]) -> Onboarding:
    prefs = data.get("preferences") or {}
    completed = data.get("completed_at")
    return Onboarding(
        phase=OnboardingPhase(data["phase"]),
        preferences=Preferences(
            profession=prefs.get("profession"),
            response_style=prefs.get("response_style"),
            custom_instructions=prefs.get("custom_instructions"),
        ),
        completed_at=datetime.fromisoformat(completed) if completed is not None else None,
    )


def user_insert_args(user: User) -> tuple[Any, ...]:
    return (
        user.id.value,
        user.email.value,
        user.email.normalized,
        user.name,
        user.picture_url,
        user.timezone,
        onboarding_json(user.onboarding),
        user.legacy_id,
        user.created_at,
        user.updated_at,
        user.last_active_at,
        user.version,
    )


def user_update_args(user: User) -> tuple[Any, ...]:
    return (
        user.id.value,
        user.version,
        user.email.value,
        user.email.normalized,
        user.name,
        user.picture_url,
        user.timezone,
        onboarding_json(user.onboarding),
        user.legacy_id,
        user.updated_at,
        user.last_active_at,
    )


def user_from(row: Row) -> User:
    return User(
        id=UserId(plain_uuid(row[0])),
        email=Email(row[1]),
        name=row[2],
        picture_url=row[3],
        timezone=row[4],
        onboarding=onboarding_from(row[5]),
        legacy_id=row[6],
        created_at=row[7],
        updated_at=row[8],
        last_active_at=row[9],
        version=row[10],
    )


# -- goals ---------------------------------------------------------------------------------------------------


def roadmap_json(roadmap: Roadmap) -> str:
    return _dumps(
        {
            "nodes": [
                {
                    "id": n.id,
                    "label": n.label,
                    "details": n.details,
                    "estimated_time": n.estimated_time,
                    "resources": list(n.resources),
                    "completed": n.completed,
                }
                for n in roadmap.nodes
            ],
            "edges": [{"source": e.source, "target": e.target} for e in roadmap.edges],
        }
    )


def roadmap_from(data: Mapping[str, Any]) -> Roadmap:
    return Roadmap(
        nodes=tuple(
            RoadmapNode(
                id=n["id"],
                label=n["label"],
                details=n.get("details", ""),
                estimated_time=n.get("estimated_time"),
                resources=tuple(n.get("resources", ())),
                completed=n.get("completed", False),
            )
            for n in data.get("nodes", ())
        ),
        edges=tuple(RoadmapEdge(source=e["source"], target=e["target"]) for e in data.get("edges", ())),
    )


def goal_insert_args(goal: Goal) -> tuple[Any, ...]:
    return (
        goal.id.value,
        goal.user_id.value,
        goal.title,
        goal.description,
        roadmap_json(goal.roadmap),
        goal.conversation_id.value if goal.conversation_id is not None else None,
        goal.created_at,
        goal.updated_at,
        goal.completed_at,
        goal.version,
    )


def goal_update_args(goal: Goal) -> tuple[Any, ...]:
    return (
        goal.id.value,
        goal.user_id.value,
        goal.version,
        goal.title,
        goal.description,
        roadmap_json(goal.roadmap),
        goal.conversation_id.value if goal.conversation_id is not None else None,
        goal.updated_at,
        goal.completed_at,
    )


def goal_from(row: Row) -> Goal:
    return Goal(
        id=GoalId(plain_uuid(row[0])),
        user_id=UserId(plain_uuid(row[1])),
        title=row[2],
        description=row[3],
        roadmap=roadmap_from(row[4]),
        conversation_id=ConversationId(row[5]) if row[5] is not None else None,
        created_at=row[6],
        updated_at=row[7],
        completed_at=row[8],
        version=row[9],
    )


# -- outbox --------------------------------------------------------------------------------------------------


def event_columns(events: Sequence[Event]) -> tuple[list[uuid.UUID], list[str], list[str], list[datetime]]:
    """The events as four parallel arrays, for ``sql.INSERT_EVENTS``."""
    return (
        [e.event_id.value for e in events],
        [e.type_name for e in events],
        [_dumps(event_to_payload(e)) for e in events],
        [e.occurred_at for e in events],
    )
