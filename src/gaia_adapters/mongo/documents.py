"""Conversation documents: the stored shape, its Pydantic models, and the mapping to and from the domain.

The only place where ``ObjectId`` and ``str`` ids meet: ``_id`` is an ObjectId, message ids are stored
as 24-hex strings (as GAIA always stored them), the owner ``user_id`` as a standard UUID (binary subtype 4).

Writing builds plain dicts (the bulk import path must stay cheap); reading validates with the Pydantic
models after :func:`upgrade_document` has turned any older shape into the current one:

* version 0 (no ``schema_version``): GAIA's legacy documents — ``type`` ("user"/"bot") and ``response``
  instead of ``role``/``content``, message time in ``date``, ``createdAt`` as an ISO string in several
  forms (``Z``, an offset, microseconds, no zone = UTC), ``updatedAt``, ``is_unread``, ``tool_category``,
  ``replyToMessage``, owner ids that are GAIA ObjectId hex strings (mapped by the caller, see
  docs/decisions/mongo-legacy-owners.md), possibly no ``messages`` at all.
* version 1: the current shape.

Fields the domain has no place for (follow-up actions, artifacts, workflow metadata, file ids, ...) are
left in the document untouched; they are never lost, only not read into the domain.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from bson import ObjectId
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from gaia_domain import validation as v
from gaia_domain.conversations import (
    DEFAULT_DESCRIPTION,
    Conversation,
    ConversationSummary,
    Message,
    Role,
    Source,
    ToolData,
)
from gaia_domain.errors import InvalidInput
from gaia_domain.ids import ConversationId, MessageId, UserId

SCHEMA_VERSION = 1

_LEGACY_ROLES = {"user": Role.USER, "bot": Role.ASSISTANT, "assistant": Role.ASSISTANT, "system": Role.SYSTEM,
                 "tool": Role.TOOL}  # fmt: skip


class LegacyOwnerUnmapped(InvalidInput):
    """A legacy document whose owner is a GAIA id that no user of ours carries as ``legacy_id``."""

    def __init__(self, conversation_id: str, legacy_owner: object) -> None:
        reason = f"legacy owner {legacy_owner!r:.40} of conversation {conversation_id} is not mapped to a user"
        super().__init__("user_id", reason)
        self.conversation_id = conversation_id
        self.legacy_owner = legacy_owner


# ---------------------------------------------------------------------------------------------- ids


def object_id(conversation_id: ConversationId | str) -> ObjectId:
    """A ConversationId as ObjectId; anything malformed is InvalidInput before bson ever sees it."""
    return ObjectId(ConversationId.parse(conversation_id).value)


def owner_value(user_id: UserId | uuid.UUID | str) -> uuid.UUID:
    return UserId.parse(user_id).value


def conversation_id_of(stored: object) -> ConversationId:
    """A stored ``_id`` (ObjectId) as the domain's ConversationId."""
    return ConversationId(str(stored))


# ---------------------------------------------------------------------------------------------- write

# Enum ``.value`` is a descriptor call; on the bulk import path (B5 in docs/performance.md) it was a third
# of the mapping's cost per message. A dict lookup gives the same plain strings.
_ROLE_VALUES = {role: role.value for role in Role}
_SOURCE_VALUES = {source: source.value for source in Source}


def tool_data_to_document(entry: ToolData) -> dict[str, Any]:
    doc: dict[str, Any] = {"tool_name": entry.tool_name, "data": dict(entry.data)}
    if entry.category is not None:
        doc["category"] = entry.category
    return doc


def message_to_document(message: Message) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "message_id": message.id.value,
        "role": _ROLE_VALUES[message.role],
        "content": message.content,
        "created_at": message.created_at,
        "pinned": message.pinned,
    }
    if message.reply_to is not None:
        doc["reply_to"] = message.reply_to.value
    if message.tool_data:
        doc["tool_data"] = [tool_data_to_document(t) for t in message.tool_data]
    if message.edited_at is not None:
        doc["edited_at"] = message.edited_at
    return doc


def conversation_to_document(conversation: Conversation) -> dict[str, Any]:
    """The current document shape; ``message_count`` is the number of messages written."""
    return {
        "_id": ObjectId(conversation.id.value),
        "schema_version": SCHEMA_VERSION,
        "user_id": conversation.user_id.value,
        "description": conversation.description,
        "source": _SOURCE_VALUES[conversation.source],
        "starred": conversation.starred,
        "unread": conversation.unread,
        "is_system_generated": conversation.is_system_generated,
        "system_purpose": conversation.system_purpose,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
        "message_count": len(conversation.messages),
        "messages": [message_to_document(m) for m in conversation.messages],
    }


# ---------------------------------------------------------------------------------------------- models


def _hex(value: object) -> object:
    return str(value) if isinstance(value, ObjectId) else value


HexStr = Annotated[str, BeforeValidator(_hex)]
# Literals, not the enums: pydantic-core checks them natively, several times faster on long conversations.
RoleName = Literal["user", "assistant", "system", "tool"]
SourceName = Literal[
    "web", "mobile", "desktop", "telegram", "discord", "slack", "whatsapp", "imessage", "workflow_system", "background"
]


class ToolDataDocument(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tool_name: str
    data: dict[str, Any] = Field(default_factory=dict)
    category: str | None = None

    def to_domain(self) -> ToolData:
        return ToolData(tool_name=self.tool_name, data=self.data, category=self.category)


class MessageDocument(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message_id: str  # always a string in the current shape (upgrade_message converts legacy ObjectIds)
    role: RoleName
    content: str = ""
    created_at: datetime
    pinned: bool = False
    reply_to: str | None = None
    tool_data: list[ToolDataDocument] = Field(default_factory=list)
    edited_at: datetime | None = None

    def to_domain(self) -> Message:
        return Message(
            id=MessageId(self.message_id),
            role=Role(self.role),
            content=self.content,
            created_at=self.created_at,
            pinned=self.pinned,
            reply_to=MessageId(self.reply_to) if self.reply_to is not None else None,
            tool_data=tuple(t.to_domain() for t in self.tool_data),
            edited_at=self.edited_at,
        )


class ConversationDocument(BaseModel):
    """A conversation as stored (current version). ``messages`` may be a ``$slice`` of the stored array."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: HexStr = Field(alias="_id")
    schema_version: int
    user_id: uuid.UUID
    description: str = DEFAULT_DESCRIPTION
    source: SourceName = "web"
    starred: bool = False
    unread: bool = False
    is_system_generated: bool = False
    system_purpose: str | None = None
    created_at: datetime
    updated_at: datetime
    message_count: int = Field(ge=0)
    messages: list[MessageDocument] = Field(default_factory=list)

    def to_summary(self) -> ConversationSummary:
        return ConversationSummary(
            id=ConversationId(self.id),
            user_id=UserId(uuid.UUID(int=self.user_id.int)),
            description=self.description,
            source=Source(self.source),
            starred=self.starred,
            unread=self.unread,
            is_system_generated=self.is_system_generated,
            system_purpose=self.system_purpose,
            created_at=v.utc_ms("created_at", self.created_at),
            updated_at=v.utc_ms("updated_at", self.updated_at),
            message_count=self.message_count,
        )

    def to_domain(self) -> Conversation:
        return Conversation(
            id=ConversationId(self.id),
            user_id=UserId(uuid.UUID(int=self.user_id.int)),
            created_at=self.created_at,
            updated_at=self.updated_at,
            description=self.description,
            source=Source(self.source),
            starred=self.starred,
            unread=self.unread,
            is_system_generated=self.is_system_generated,
            system_purpose=self.system_purpose,
            messages=[m.to_domain() for m in self.messages],
            message_count=max(self.message_count, len(self.messages)),
        )


# ---------------------------------------------------------------------------------------------- read


def conversation_from_document(raw: Mapping[str, Any]) -> Conversation:
    return ConversationDocument.model_validate(upgrade_document(raw)).to_domain()


def summary_from_document(raw: Mapping[str, Any]) -> ConversationSummary:
    return ConversationDocument.model_validate(upgrade_document(raw)).to_summary()


def message_from_document(raw: Mapping[str, Any]) -> Message:
    if "role" not in raw or "type" in raw:
        raw = upgrade_message(raw, "?", 0)
    return MessageDocument.model_validate(raw).to_domain()


# ---------------------------------------------------------------------------------------------- upgrade


def parse_legacy_time(field: str, value: object) -> datetime:
    """A stored time in any shape GAIA wrote: a BSON date, or an ISO string with ``Z``, an offset or no zone (UTC)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text)
        except ValueError as exc:
            raise InvalidInput(field, f"is not an ISO 8601 time: {text[:40]!r}") from exc
    if isinstance(value, datetime) and (value.tzinfo is None or value.utcoffset() is None):
        value = value.replace(tzinfo=UTC)  # GAIA wrote naive times in UTC
    return v.utc_ms(field, value)


def upgrade_message(raw: Mapping[str, Any], conversation_id: str, index: int) -> dict[str, Any]:
    """One message in the current shape; unknown legacy fields stay as they are."""
    doc = dict(raw)
    if "role" not in doc:
        legacy_type = doc.pop("type", None)
        role = _LEGACY_ROLES.get(str(legacy_type).lower()) if legacy_type is not None else None
        if role is None:
            raise InvalidInput("message.role", f"unknown legacy message type {legacy_type!r:.40}")
        doc["role"] = role.value
    if "content" not in doc:
        response = doc.pop("response", "")
        doc["content"] = "" if response is None else response
    if "created_at" in doc or "date" in doc:
        doc["created_at"] = parse_legacy_time("message.created_at", doc.pop("date", None) or doc.get("created_at"))
    message_id = doc.get("message_id")
    if message_id is None:  # stable across runs, so re-running the migration gives the same id
        doc["message_id"] = MessageId.derive("legacy-message", conversation_id, str(index)).value
    else:
        doc["message_id"] = MessageId.parse(str(message_id), "message.message_id").value
    doc["pinned"] = bool(doc.get("pinned", False))
    if doc.get("reply_to") is not None:
        doc["reply_to"] = MessageId.parse(str(doc["reply_to"]), "message.reply_to").value
    else:
        doc.pop("reply_to", None)
        reply = doc.get("replyToMessage")
        reply_id = reply.get("id") if isinstance(reply, Mapping) else None
        if reply_id:
            doc["reply_to"] = MessageId.parse(str(reply_id), "message.reply_to").value
    tools = doc.get("tool_data")
    if tools:
        doc["tool_data"] = [_upgrade_tool(t) for t in tools]
    else:
        doc.pop("tool_data", None)
    return doc


def _upgrade_tool(raw: Mapping[str, Any]) -> dict[str, Any]:
    entry = dict(raw)
    if "category" not in entry and "tool_category" in entry:
        entry["category"] = entry.pop("tool_category")
    if entry.get("data") is None:
        entry["data"] = {}
    return entry


def upgrade_document(raw: Mapping[str, Any], *, owner: UserId | None = None) -> dict[str, Any]:
    """The document in the current shape (a new dict; ``raw`` is not changed).

    ``owner`` replaces a legacy owner id (a GAIA ObjectId hex string) after the caller mapped it;
    without it, a legacy owner raises :class:`LegacyOwnerUnmapped` rather than being guessed.
    """
    version = raw.get("schema_version")
    if version == SCHEMA_VERSION and owner is None:
        return raw if isinstance(raw, dict) else dict(raw)
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise InvalidInput("schema_version", f"{version} is newer than this code understands ({SCHEMA_VERSION})")
    doc = dict(raw)
    conversation_id = str(doc.get("_id"))
    legacy_owner = doc.get("user_id")
    if owner is not None:
        if not isinstance(legacy_owner, uuid.UUID):
            doc["legacy_user_id"] = legacy_owner
        doc["user_id"] = owner.value
    elif not isinstance(legacy_owner, uuid.UUID):
        raise LegacyOwnerUnmapped(conversation_id, legacy_owner)

    messages = [upgrade_message(m, conversation_id, i) for i, m in enumerate(doc.get("messages") or ())]
    doc["messages"] = messages
    created = doc.pop("createdAt", None) if "created_at" not in doc else doc["created_at"]
    updated = doc.pop("updatedAt", None) if "updated_at" not in doc else doc["updated_at"]
    newest = max((m["created_at"] for m in messages), default=None)
    if created is None:  # the ObjectId's own time is the best record of when the document was made
        oid = doc.get("_id")
        created = oid.generation_time if isinstance(oid, ObjectId) else newest
    doc["created_at"] = parse_legacy_time("created_at", created)
    activity = parse_legacy_time("updated_at", updated) if updated is not None else doc["created_at"]
    doc["updated_at"] = max(activity, newest) if newest is not None else activity
    if "is_unread" in doc and "unread" not in doc:
        doc["unread"] = bool(doc.pop("is_unread"))
    if not doc.get("description"):
        doc["description"] = DEFAULT_DESCRIPTION
    if not isinstance(doc.get("message_count"), int):  # a count the reader supplied (messages projected out) stays
        doc["message_count"] = len(messages)
    doc["schema_version"] = SCHEMA_VERSION
    return doc
