"""Pydantic v2 models for the edges: commands coming in, read models going out.

* Command models check *shapes* (types, structure, unknown fields). The invariants stay in the
  domain: ``to_domain()`` builds domain values, and the domain raises ``InvalidInput`` naming the
  field (an oversize title, a cycle in a roadmap, a naive datetime, a malformed id).
* Read models carry ids as plain strings and datetimes as ISO 8601 with an explicit offset and
  millisecond precision (``2026-01-01T09:30:00.000+00:00``). Nothing driver-specific (an ObjectId,
  a bson type) can be reached from them, so ``model_dump(mode="json")`` and
  ``model_json_schema()`` always work.
* :func:`parse_command` turns a pydantic ``ValidationError`` into the domain's
  ``InvalidInput(field, reason)``, so callers handle one error type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer, ValidationError

from gaia_domain.conversations import (
    DEFAULT_DESCRIPTION,
    Conversation,
    ConversationStats,
    ConversationSummary,
    Message,
    PinnedMessage,
    SearchHit,
    ToolData,
)
from gaia_domain.errors import InvalidInput
from gaia_domain.goals import Goal, Roadmap, RoadmapEdge, RoadmapNode
from gaia_domain.ids import ConversationId, MessageId
from gaia_domain.pagination import Page
from gaia_domain.services.conversations import NewMessage
from gaia_domain.users import Onboarding, Preferences, User

T = TypeVar("T")
Out = TypeVar("Out", bound=BaseModel)
C = TypeVar("C", bound=BaseModel)

# Explicit offset and millisecond precision: the precision every adapter round-trips.
UtcDatetime = Annotated[
    AwareDatetime,
    PlainSerializer(lambda value: value.isoformat(timespec="milliseconds"), return_type=str, when_used="json"),
]
HexId = Annotated[str, Field(pattern=r"^[0-9a-f]{24}$", examples=["65f1c0de8a9b4c2d1e0f3a4b"])]
UuidStr = Annotated[str, Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]


def parse_command(model: type[C], data: Mapping[str, Any] | str | bytes) -> C:
    """Validate raw input (a mapping or JSON text) into a command; shape errors become ``InvalidInput``."""
    try:
        if isinstance(data, str | bytes):
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or model.__name__
        raise InvalidInput(field, first["msg"]) from exc


def _optional_message_id(raw: str | None, field: str) -> MessageId | None:
    return MessageId.parse(raw, field) if raw is not None else None


class _Command(BaseModel):
    # strict: a version is an int, a flag a bool ("yes", "3", 3.0 and True-as-1 are refused, not coerced)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _ReadModel(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- commands: users


class RegisterUser(_Command):
    email: str
    name: str
    picture_url: str | None = None
    timezone: str = "UTC"


class UpdateProfile(_Command):
    name: str | None = None
    picture_url: str | None = None
    timezone: str | None = None
    clear_picture: bool = False


class PreferencesIn(_Command):
    profession: str | None = None
    response_style: str | None = None
    custom_instructions: str | None = None

    def to_domain(self) -> Preferences:
        return Preferences(
            profession=self.profession,
            response_style=self.response_style,
            custom_instructions=self.custom_instructions,
        )


class UpdateOnboarding(_Command):
    phase: str | None = None
    preferences: PreferencesIn | None = None

    def preferences_to_domain(self) -> Preferences | None:
        return self.preferences.to_domain() if self.preferences is not None else None


# --- commands: conversations


class ToolDataIn(_Command):
    tool_name: str
    data: dict[str, Any] = Field(default_factory=dict)
    category: str | None = None

    def to_domain(self) -> ToolData:
        return ToolData(tool_name=self.tool_name, data=self.data, category=self.category)


class MessageIn(_Command):
    """A message to send. ``message_id``/``created_at`` are for imports; the service assigns them otherwise."""

    role: str
    content: str
    tool_data: list[ToolDataIn] = Field(default_factory=list)
    reply_to: str | None = None
    message_id: str | None = None
    # ISO strings from JSON are parsed (strict mode would take only datetime objects); a naive value is rejected
    # by the domain, naming the field
    created_at: datetime | None = Field(default=None, strict=False)
    pinned: bool = False

    def to_domain(self) -> NewMessage:
        return NewMessage(
            role=self.role,
            content=self.content,
            tool_data=tuple(entry.to_domain() for entry in self.tool_data),
            reply_to=_optional_message_id(self.reply_to, "reply_to"),
            message_id=_optional_message_id(self.message_id, "message_id"),
            created_at=self.created_at,
            pinned=self.pinned,
        )


class StartConversation(_Command):
    description: str = DEFAULT_DESCRIPTION
    source: str = "web"
    messages: list[MessageIn] = Field(default_factory=list)
    is_system_generated: bool = False
    system_purpose: str | None = None

    def messages_to_domain(self) -> list[NewMessage]:
        return [message.to_domain() for message in self.messages]


class SendMessages(_Command):
    messages: list[MessageIn] = Field(min_length=1)

    def to_domain(self) -> list[NewMessage]:
        return [message.to_domain() for message in self.messages]


class EditMessage(_Command):
    content: str


class PinMessage(_Command):
    pinned: bool = True


class Rename(_Command):
    description: str


class Star(_Command):
    starred: bool = True


class MarkRead(_Command):
    read: bool = True


# --- commands: goals


class RoadmapNodeIn(_Command):
    id: str
    label: str
    details: str = ""
    estimated_time: str | None = None
    resources: list[str] = Field(default_factory=list)
    completed: bool = False

    def to_domain(self) -> RoadmapNode:
        return RoadmapNode(
            id=self.id,
            label=self.label,
            details=self.details,
            estimated_time=self.estimated_time,
            resources=tuple(self.resources),
            completed=self.completed,
        )


class RoadmapEdgeIn(_Command):
    source: str
    target: str

    def to_domain(self) -> RoadmapEdge:
        return RoadmapEdge(source=self.source, target=self.target)


class RoadmapIn(_Command):
    """Nodes and edges; the domain checks the edges name existing nodes and form a DAG."""

    nodes: list[RoadmapNodeIn] = Field(default_factory=list)
    edges: list[RoadmapEdgeIn] = Field(default_factory=list)

    def to_domain(self) -> Roadmap:
        return Roadmap(
            nodes=tuple(node.to_domain() for node in self.nodes),
            edges=tuple(edge.to_domain() for edge in self.edges),
        )


class CreateGoal(_Command):
    title: str
    description: str = ""
    roadmap: RoadmapIn | None = None
    conversation_id: str | None = None

    def roadmap_to_domain(self) -> Roadmap | None:
        return self.roadmap.to_domain() if self.roadmap is not None else None

    def conversation_id_to_domain(self) -> ConversationId | None:
        return ConversationId.parse(self.conversation_id, "conversation_id") if self.conversation_id else None


class EditGoal(_Command):
    title: str | None = None
    description: str | None = None
    roadmap: RoadmapIn | None = None
    expected_version: int | None = None

    def roadmap_to_domain(self) -> Roadmap | None:
        return self.roadmap.to_domain() if self.roadmap is not None else None


class CompleteNode(_Command):
    node_id: str


class PageQuery(_Command):
    limit: int = 20
    cursor: str | None = None


# --- read models: users


class PreferencesOut(_ReadModel):
    profession: str | None
    response_style: str | None
    custom_instructions: str | None


class OnboardingOut(_ReadModel):
    phase: str
    preferences: PreferencesOut
    completed_at: UtcDatetime | None

    @classmethod
    def from_domain(cls, onboarding: Onboarding) -> OnboardingOut:
        prefs = onboarding.preferences
        return cls(
            phase=onboarding.phase.value,
            preferences=PreferencesOut(
                profession=prefs.profession,
                response_style=prefs.response_style,
                custom_instructions=prefs.custom_instructions,
            ),
            completed_at=onboarding.completed_at,
        )


class UserOut(_ReadModel):
    id: UuidStr
    email: str
    name: str
    picture_url: str | None
    timezone: str
    onboarding: OnboardingOut
    created_at: UtcDatetime
    updated_at: UtcDatetime
    last_active_at: UtcDatetime | None
    version: int

    @classmethod
    def from_domain(cls, user: User) -> UserOut:
        return cls(
            id=str(user.id),
            email=user.email.value,
            name=user.name,
            picture_url=user.picture_url,
            timezone=user.timezone,
            onboarding=OnboardingOut.from_domain(user.onboarding),
            created_at=user.created_at,
            updated_at=user.updated_at,
            last_active_at=user.last_active_at,
            version=user.version,
        )


# --- read models: conversations


class ToolDataOut(_ReadModel):
    tool_name: str
    data: dict[str, Any]
    category: str | None

    @classmethod
    def from_domain(cls, entry: ToolData) -> ToolDataOut:
        return cls(tool_name=entry.tool_name, data=dict(entry.data), category=entry.category)


class MessageOut(_ReadModel):
    id: HexId
    role: str
    content: str
    created_at: UtcDatetime
    edited_at: UtcDatetime | None
    pinned: bool
    reply_to: HexId | None
    tool_data: list[ToolDataOut]

    @classmethod
    def from_domain(cls, message: Message) -> MessageOut:
        return cls(
            id=str(message.id),
            role=message.role.value,
            content=message.content,
            created_at=message.created_at,
            edited_at=message.edited_at,
            pinned=message.pinned,
            reply_to=str(message.reply_to) if message.reply_to is not None else None,
            tool_data=[ToolDataOut.from_domain(entry) for entry in message.tool_data],
        )


class _ConversationFields(_ReadModel):
    id: HexId
    user_id: UuidStr
    description: str
    source: str
    starred: bool
    unread: bool
    is_system_generated: bool
    system_purpose: str | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    message_count: int


class ConversationSummaryOut(_ConversationFields):
    """A conversation as lists show it: metadata and the message count, no messages."""

    @classmethod
    def from_domain(cls, summary: ConversationSummary) -> ConversationSummaryOut:
        return cls(
            id=str(summary.id),
            user_id=str(summary.user_id),
            description=summary.description,
            source=summary.source.value,
            starred=summary.starred,
            unread=summary.unread,
            is_system_generated=summary.is_system_generated,
            system_purpose=summary.system_purpose,
            created_at=summary.created_at,
            updated_at=summary.updated_at,
            message_count=summary.message_count,
        )


class ConversationOut(_ConversationFields):
    """A conversation with its messages (all of them, or the last N a store returned: see ``message_count``)."""

    messages: list[MessageOut]

    @classmethod
    def from_domain(cls, conversation: Conversation) -> ConversationOut:
        summary = ConversationSummaryOut.from_domain(conversation.summary())
        return cls(
            **summary.model_dump(),
            messages=[MessageOut.from_domain(message) for message in conversation.messages],
        )


class PinnedMessageOut(_ReadModel):
    conversation_id: HexId
    conversation_description: str
    message: MessageOut

    @classmethod
    def from_domain(cls, pinned: PinnedMessage) -> PinnedMessageOut:
        return cls(
            conversation_id=str(pinned.conversation_id),
            conversation_description=pinned.conversation_description,
            message=MessageOut.from_domain(pinned.message),
        )


class SearchHitOut(_ReadModel):
    conversation: ConversationSummaryOut
    description_matches: bool
    message_ids: list[HexId]

    @classmethod
    def from_domain(cls, hit: SearchHit) -> SearchHitOut:
        return cls(
            conversation=ConversationSummaryOut.from_domain(hit.conversation),
            description_matches=hit.description_matches,
            message_ids=[str(message_id) for message_id in hit.message_ids],
        )


class ToolUsageOut(_ReadModel):
    tool_name: str
    uses: int


class StatsOut(_ReadModel):
    conversations: int
    messages: int
    pinned: int
    messages_by_role: dict[str, int]
    messages_per_day: dict[str, int] = Field(description='UTC day "YYYY-MM-DD" -> messages, ascending days')
    top_tools: list[ToolUsageOut]

    @classmethod
    def from_domain(cls, stats: ConversationStats) -> StatsOut:
        return cls(
            conversations=stats.conversations,
            messages=stats.messages,
            pinned=stats.pinned,
            messages_by_role=dict(stats.messages_by_role),
            messages_per_day=dict(stats.messages_per_day),
            top_tools=[ToolUsageOut(tool_name=name, uses=uses) for name, uses in stats.top_tools],
        )


# --- read models: goals


class RoadmapNodeOut(_ReadModel):
    id: str
    label: str
    details: str
    estimated_time: str | None
    resources: list[str]
    completed: bool


class RoadmapEdgeOut(_ReadModel):
    source: str
    target: str


class RoadmapOut(_ReadModel):
    nodes: list[RoadmapNodeOut]
    edges: list[RoadmapEdgeOut]

    @classmethod
    def from_domain(cls, roadmap: Roadmap) -> RoadmapOut:
        return cls(
            nodes=[
                RoadmapNodeOut(
                    id=node.id,
                    label=node.label,
                    details=node.details,
                    estimated_time=node.estimated_time,
                    resources=list(node.resources),
                    completed=node.completed,
                )
                for node in roadmap.nodes
            ],
            edges=[RoadmapEdgeOut(source=edge.source, target=edge.target) for edge in roadmap.edges],
        )


class GoalOut(_ReadModel):
    id: UuidStr
    user_id: UuidStr
    title: str
    description: str
    roadmap: RoadmapOut
    progress: int = Field(ge=0, le=100, description="completed nodes as a whole percent")
    conversation_id: HexId | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    completed_at: UtcDatetime | None
    version: int

    @classmethod
    def from_domain(cls, goal: Goal) -> GoalOut:
        return cls(
            id=str(goal.id),
            user_id=str(goal.user_id),
            title=goal.title,
            description=goal.description,
            roadmap=RoadmapOut.from_domain(goal.roadmap),
            progress=goal.progress,
            conversation_id=str(goal.conversation_id) if goal.conversation_id is not None else None,
            created_at=goal.created_at,
            updated_at=goal.updated_at,
            completed_at=goal.completed_at,
            version=goal.version,
        )


# --- pages


class PageOut(_ReadModel, Generic[Out]):
    """One keyset page: the items and the opaque cursor of the next page (``None`` on the last)."""

    items: list[Out]
    next_cursor: str | None

    @classmethod
    def from_page(cls, page: Page[T], convert: Callable[[T], Out]) -> PageOut[Out]:
        return cls(items=[convert(item) for item in page.items], next_cursor=page.next_cursor)
