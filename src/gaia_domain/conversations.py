"""The Conversation aggregate (one MongoDB document) with its embedded Messages."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from gaia_domain import validation as v
from gaia_domain.clock import Clock
from gaia_domain.errors import AlreadyExists, InvalidInput, NotFound
from gaia_domain.ids import ConversationId, MessageId, UserId

DEFAULT_DESCRIPTION = "New Chat"
MAX_DESCRIPTION = 200
MAX_CONTENT = 100_000
MAX_TOOL_NAME = 100
MAX_CATEGORY = 100
MAX_PURPOSE = 100
MAX_TOOL_DATA_BYTES = 256_000
MAX_TOOL_ENTRIES = 50
MAX_SEARCH_TEXT = 200

# One conversation is one MongoDB document, and a document holds at most 16 MiB of BSON. Every store keeps the
# estimated size (:func:`message_size`) of a conversation's messages and refuses a write that would take it over
# this budget; the 1 MiB left is headroom for the metadata, BSON's own framing and fields the domain does not know.
MAX_CONVERSATION_BYTES = 15 * 1024 * 1024
MESSAGE_OVERHEAD_BYTES = 200  # field names, ids, dates and flags of one stored message (on the safe side)
TOOL_DATA_OVERHEAD_BYTES = 50  # field names and framing of one tool data entry


class Role(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"
    TOOL = "tool"


class Source(StrEnum):
    WEB = "web"
    MOBILE = "mobile"
    DESKTOP = "desktop"
    TELEGRAM = "telegram"
    DISCORD = "discord"
    SLACK = "slack"
    WHATSAPP = "whatsapp"
    IMESSAGE = "imessage"
    WORKFLOW_SYSTEM = "workflow_system"
    BACKGROUND = "background"


# Lookups by exact type: an enum call (Role(x)) costs a Python-level __call__ on every message read.
E = TypeVar("E", bound=StrEnum)
_ROLES = {role.value: role for role in Role}
_SOURCES = {source.value: source for source in Source}


def parse_role(value: object, field_name: str = "role") -> Role:
    return _member(Role, _ROLES, value, field_name)


def parse_source(value: object, field_name: str = "source") -> Source:
    return _member(Source, _SOURCES, value, field_name)


def _member(enum: type[E], members: Mapping[str, E], value: object, field_name: str) -> E:
    if type(value) is enum:
        return value
    member = members.get(str(value)) if isinstance(value, str) else None
    if member is None:
        raise InvalidInput(field_name, f"must be one of {list(members)}, got {value!r:.40}")
    return member


def _check_json(field_name: str, value: Any, depth: int = 0) -> None:
    """Plain JSON only, with keys every store can hold ($-prefixed or dotted keys are MongoDB operators/paths)."""
    if depth > 20:
        raise InvalidInput(field_name, "is nested too deeply (over 20 levels)")
    if value is None or isinstance(value, bool | str | int):
        if isinstance(value, str):
            v.text(field_name, value, max_length=MAX_TOOL_DATA_BYTES, allow_empty=True, strip=False)
        if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
            raise InvalidInput(field_name, "integers must fit in 64 bits")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(field_name, "numbers must be finite")
        return
    if isinstance(value, list):
        for item in value:
            _check_json(field_name, item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key or key.startswith("$") or "." in key or "\x00" in key:
                raise InvalidInput(field_name, f"key {key!r:.40} is not allowed (empty, '$'-prefixed, dotted or NUL)")
            v.text(field_name, key, max_length=200, strip=False)
            _check_json(field_name, item, depth + 1)
        return
    raise InvalidInput(field_name, f"holds a {type(value).__name__}, which is not JSON")


@dataclass(frozen=True, slots=True)
class ToolData:
    """One tool result attached to a message: the tool's name, its JSON data and an optional category."""

    tool_name: str
    data: Mapping[str, Any] = field(default_factory=dict)
    category: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "tool_name", v.text("tool_data.tool_name", self.tool_name, max_length=MAX_TOOL_NAME))
        object.__setattr__(
            self, "category", v.optional_text("tool_data.category", self.category, max_length=MAX_CATEGORY)
        )
        if not isinstance(self.data, Mapping):
            raise InvalidInput("tool_data.data", "must be a JSON object")
        data = dict(self.data)
        _check_json("tool_data.data", data)
        if len(json.dumps(data, ensure_ascii=False).encode()) > MAX_TOOL_DATA_BYTES:
            raise InvalidInput("tool_data.data", f"must be at most {MAX_TOOL_DATA_BYTES} bytes of JSON")
        object.__setattr__(self, "data", data)

    def __hash__(self) -> int:
        return hash((self.tool_name, self.category, json.dumps(self.data, sort_keys=True)))


@dataclass(frozen=True, slots=True)
class Message:
    id: MessageId
    role: Role
    content: str
    created_at: datetime
    pinned: bool = False
    reply_to: MessageId | None = None
    tool_data: tuple[ToolData, ...] = ()
    edited_at: datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, MessageId):
            raise InvalidInput("message.id", "must be a MessageId")
        object.__setattr__(self, "role", parse_role(self.role, "message.role"))
        content = v.text("message.content", self.content, max_length=MAX_CONTENT, allow_empty=True, strip=False)
        object.__setattr__(self, "content", content)
        object.__setattr__(self, "created_at", v.utc_ms("message.created_at", self.created_at))
        if self.edited_at is not None:
            object.__setattr__(self, "edited_at", v.utc_ms("message.edited_at", self.edited_at))
        if not isinstance(self.pinned, bool):
            raise InvalidInput("message.pinned", "must be a boolean")
        if self.reply_to is not None and not isinstance(self.reply_to, MessageId):
            raise InvalidInput("message.reply_to", "must be a MessageId")
        if self.tool_data == ():  # most messages: nothing to check
            return
        entries = tuple(self.tool_data)
        if len(entries) > MAX_TOOL_ENTRIES:
            raise InvalidInput("message.tool_data", f"at most {MAX_TOOL_ENTRIES} entries")
        if not all(isinstance(e, ToolData) for e in entries):
            raise InvalidInput("message.tool_data", "entries must be ToolData")
        object.__setattr__(self, "tool_data", entries)

    @classmethod
    def new(
        cls,
        *,
        role: Role | str,
        content: str,
        clock: Clock | None = None,
        created_at: datetime | None = None,
        message_id: MessageId | None = None,
        reply_to: MessageId | None = None,
        tool_data: Iterable[ToolData] = (),
        pinned: bool = False,
    ) -> Message:
        if created_at is None:
            if clock is None:
                raise InvalidInput("message.created_at", "give created_at or a clock")
            created_at = clock.now()
        return cls(
            id=message_id or MessageId.new(),
            role=parse_role(role, "message.role"),
            content=content,
            created_at=created_at,
            pinned=pinned,
            reply_to=reply_to,
            tool_data=tuple(tool_data),
        )


def check_new_messages(messages: Sequence[Message], existing_ids: Iterable[MessageId] = ()) -> None:
    """A batch to append: at least one message, ids unique among themselves and the known ones."""
    if not messages:
        raise InvalidInput("messages", "must contain at least one message")
    seen = set(existing_ids)
    for message in messages:
        if not isinstance(message, Message):
            raise InvalidInput("messages", f"must be Message objects, got {type(message).__name__}")
        if message.id in seen:
            raise AlreadyExists("message", message.id.value)
        seen.add(message.id)


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """A conversation without its messages, as lists show it."""

    id: ConversationId
    user_id: UserId
    description: str
    source: Source
    starred: bool
    unread: bool
    is_system_generated: bool
    system_purpose: str | None
    created_at: datetime
    updated_at: datetime
    message_count: int


@dataclass(eq=True)
class Conversation:
    """A chat: its metadata and ordered messages. ``updated_at`` is the activity time lists sort by."""

    id: ConversationId
    user_id: UserId
    created_at: datetime
    updated_at: datetime
    description: str = DEFAULT_DESCRIPTION
    source: Source = Source.WEB
    starred: bool = False
    unread: bool = False
    is_system_generated: bool = False
    system_purpose: str | None = None
    messages: list[Message] = field(default_factory=list)
    message_count: int = -1  # total stored; differs from len(messages) only when a store returned the last N

    def __post_init__(self) -> None:
        if not isinstance(self.id, ConversationId):
            raise InvalidInput("conversation.id", "must be a ConversationId")
        if not isinstance(self.user_id, UserId):
            raise InvalidInput("user_id", "must be a UserId")
        self.description = v.text("description", self.description, max_length=MAX_DESCRIPTION)
        self.source = parse_source(self.source)
        self.system_purpose = v.optional_text("system_purpose", self.system_purpose, max_length=MAX_PURPOSE)
        self.created_at = v.utc_ms("created_at", self.created_at)
        self.updated_at = v.utc_ms("updated_at", self.updated_at)
        for flag in ("starred", "unread", "is_system_generated"):
            if not isinstance(getattr(self, flag), bool):
                raise InvalidInput(flag, "must be a boolean")
        self.messages = list(self.messages)
        ids = [m.id for m in self.messages]
        if len(set(ids)) != len(ids):
            raise InvalidInput("messages", "message ids must be unique within a conversation")
        if self.message_count < 0:
            self.message_count = len(self.messages)
        if self.message_count < len(self.messages):
            raise InvalidInput("message_count", "is smaller than the number of messages")

    @classmethod
    def start(
        cls,
        *,
        user_id: UserId,
        clock: Clock,
        description: str = DEFAULT_DESCRIPTION,
        source: Source | str = Source.WEB,
        messages: Sequence[Message] = (),
        is_system_generated: bool = False,
        system_purpose: str | None = None,
        conversation_id: ConversationId | None = None,
    ) -> Conversation:
        now = clock.now()
        if messages:
            check_new_messages(messages)
        activity = max([now, *(m.created_at for m in messages)])
        return cls(
            id=conversation_id or ConversationId.new(),
            user_id=user_id,
            created_at=now,
            updated_at=activity,
            description=description,
            source=parse_source(source),
            is_system_generated=is_system_generated,
            system_purpose=system_purpose,
            messages=list(messages),
        )

    def summary(self) -> ConversationSummary:
        return ConversationSummary(
            id=self.id,
            user_id=self.user_id,
            description=self.description,
            source=self.source,
            starred=self.starred,
            unread=self.unread,
            is_system_generated=self.is_system_generated,
            system_purpose=self.system_purpose,
            created_at=self.created_at,
            updated_at=self.updated_at,
            message_count=self.message_count,
        )

    def message(self, message_id: MessageId) -> Message:
        for message in self.messages:
            if message.id == message_id:
                return message
        raise NotFound("message", message_id.value)


def text_bytes(text: str) -> int:
    """The UTF-8 length of a text (its stored length in BSON and JSON alike)."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def message_size(message: Message) -> int:
    """The estimated stored size of one message: deterministic, from its fields alone, identical in every store.

    The UTF-8 lengths of the content and of each tool entry's name, category and data (as JSON, as ToolData
    measures it), plus a fixed overhead per message and per entry (which covers the ids, times, flags and the
    optional reply-to and edit time), so an edit of the content changes the size by exactly the change of
    ``text_bytes(content)``. An estimate, not BSON's exact count: the headroom under 16 MiB absorbs the difference
    for ordinary data, and the MongoDB store maps the server's own "too large" to the same error.
    """
    size = MESSAGE_OVERHEAD_BYTES + text_bytes(message.content)
    for entry in message.tool_data:
        data = json.dumps(entry.data, ensure_ascii=False)
        size += TOOL_DATA_OVERHEAD_BYTES + text_bytes(entry.tool_name) + text_bytes(entry.category or "")
        size += text_bytes(data)
    return size


def messages_size(messages: Iterable[Message]) -> int:
    """``sum(message_size(m) for m in messages)``, computed without a call per message: UTF-8 lengths add up, so
    the contents are measured joined (the bulk import path measures every message it writes)."""
    batch = messages if isinstance(messages, list | tuple) else list(messages)
    size = len(batch) * MESSAGE_OVERHEAD_BYTES + text_bytes("".join([m.content for m in batch]))
    for message in [m for m in batch if m.tool_data]:
        size += message_size(message) - MESSAGE_OVERHEAD_BYTES - text_bytes(message.content)
    return size


def too_large(field_name: str) -> InvalidInput:
    """The one error for a write that would take a conversation over :data:`MAX_CONVERSATION_BYTES` (permanent)."""
    return InvalidInput(field_name, f"the conversation would exceed its size limit of {MAX_CONVERSATION_BYTES} bytes")


def check_size(stored_bytes: int, added_bytes: int, field_name: str = "messages") -> None:
    """``added_bytes`` more (or fewer, when negative) on a conversation of ``stored_bytes``; over the budget is
    InvalidInput. A write that does not grow the conversation is always allowed (it can only make room)."""
    if added_bytes > 0 and stored_bytes + added_bytes > MAX_CONVERSATION_BYTES:
        raise too_large(field_name)


def activity_after_append(current: datetime, messages: Sequence[Message]) -> datetime:
    """Appending moves the activity time to the newest message time, never backwards."""
    return max([current, *(m.created_at for m in messages)])


def search_text(value: object) -> str:
    """The user's search text: literal data (never a pattern), 1..200 characters."""
    return v.text("text", value, max_length=MAX_SEARCH_TEXT)


@dataclass(frozen=True, slots=True)
class PinnedMessage:
    conversation_id: ConversationId
    conversation_description: str
    message: Message


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A conversation whose description or messages contain the text; matching message ids in message order."""

    conversation: ConversationSummary
    description_matches: bool
    message_ids: tuple[MessageId, ...]


@dataclass(frozen=True, slots=True)
class ConversationStats:
    conversations: int
    messages: int
    pinned: int
    messages_by_role: dict[str, int]
    messages_per_day: dict[str, int]  # "YYYY-MM-DD" (UTC) -> count, ascending days
    top_tools: tuple[tuple[str, int], ...]  # (tool name, uses), most used first, ties by name
