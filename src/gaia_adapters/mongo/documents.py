"""Conversation documents: the stored shape, its Pydantic models, and the mapping to and from the domain.

The only place where ``ObjectId`` and ``str`` ids meet: ``_id`` is an ObjectId, message ids are stored
as 24-hex strings (as GAIA always stored them), the owner ``user_id`` as a standard UUID (binary subtype 4).

Writing builds plain dicts (the bulk import path must stay cheap). Reading maps a current document straight
into the domain, whose constructors check every field (a malformed field is ``InvalidInput`` naming it); an
older shape is first turned into the current one by :func:`upgrade_document` and checked against the
Pydantic models (the declared current shape):

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
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from bson import ObjectId
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from gaia_domain import validation as v
from gaia_domain.conversations import (
    DEFAULT_DESCRIPTION,
    MAX_DESCRIPTION,
    MAX_PURPOSE,
    Conversation,
    ConversationSummary,
    Message,
    Role,
    ToolData,
    messages_size,
    parse_source,
)
from gaia_domain.errors import InvalidInput
from gaia_domain.ids import ConversationId, MessageId, UserId

SCHEMA_VERSION = 1

T = TypeVar("T")

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


def tool_data_to_document(entry: ToolData) -> dict[str, Any]:
    doc: dict[str, Any] = {"tool_name": entry.tool_name, "data": dict(entry.data)}
    if entry.category is not None:
        doc["category"] = entry.category
    return doc


def message_to_document(message: Message) -> dict[str, Any]:
    # ``role._value_`` is the member's plain ``str``, an instance attribute (``.value`` is a descriptor): a
    # dict of plain values only is not tracked by the garbage collector, which then never walks the thousands
    # a bulk import builds (B5 in docs/performance.md); the member itself would make every such dict tracked.
    doc: dict[str, Any] = {
        "message_id": message.id.value,
        "role": message.role._value_,
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


def messages_to_documents(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """The documents of many messages; a plain message (most of an import) is built inline, without a call."""
    return [
        {"message_id": m.id.value, "role": m.role._value_, "content": m.content, "created_at": m.created_at,
         "pinned": m.pinned}
        if m.reply_to is None and not m.tool_data and m.edited_at is None
        else message_to_document(m)
        for m in messages
    ]  # fmt: skip


def conversation_to_document(conversation: Conversation) -> dict[str, Any]:
    """The current document shape; ``message_count`` is the number of messages written, ``message_bytes`` their
    estimated stored size (the domain's ``messages_size``, which the size budget is enforced on)."""
    return {
        "_id": ObjectId(conversation.id.value),
        "schema_version": SCHEMA_VERSION,
        "user_id": conversation.user_id.value,
        "description": conversation.description,
        "source": conversation.source,
        "starred": conversation.starred,
        "unread": conversation.unread,
        "is_system_generated": conversation.is_system_generated,
        "system_purpose": conversation.system_purpose,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
        "message_count": len(conversation.messages),
        "message_bytes": messages_size(conversation.messages),
        "messages": messages_to_documents(conversation.messages),
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
    # The running size of the messages (gaia_domain.conversations.messages_size), kept by $inc with every write
    # that changes it and checked against MAX_CONVERSATION_BYTES in the same update. Documents written before it
    # existed have none; the store counts those once, on their first append or edit (commands._count_size).
    message_bytes: int | None = Field(default=None, ge=0)
    messages: list[MessageDocument] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------- read


# Documents of the current version (everything this code writes) are mapped straight into the domain, whose
# constructors check every field: a second validation by the Pydantic models cost more than the mapping itself
# (about 3 of 16 us per message read, docs/performance.md). Older shapes are upgraded, then checked by the models.


def conversation_from_document(raw: Mapping[str, Any]) -> Conversation:
    doc = _current(raw)
    return _read("conversation", doc, lambda: _conversation(doc))


def summary_from_document(raw: Mapping[str, Any]) -> ConversationSummary:
    doc = _current(raw)
    return _read("conversation", doc, lambda: _summary(doc))


def message_from_document(raw: Mapping[str, Any]) -> Message:
    if "role" not in raw or "type" in raw:
        raw = _checked(MessageDocument, upgrade_message(raw, "?", 0))
    return _read("message", raw, lambda: _message(raw))


def _current(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    if raw.get("schema_version") == SCHEMA_VERSION:
        return raw
    return _checked(ConversationDocument, upgrade_document(raw))


def _checked(model: type[BaseModel], upgraded: dict[str, Any]) -> dict[str, Any]:
    """An upgraded legacy shape, checked field by field against the current model; the first error names the field."""
    try:
        model.model_validate(upgraded)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or model.__name__
        raise InvalidInput(field, f"{error['msg']} (upgraded from an older document shape)") from exc
    return upgraded


def _read(what: str, raw: Mapping[str, Any], build: Callable[[], T]) -> T:
    """``build()``; a required field missing from the stored document is InvalidInput naming it."""
    try:
        return build()
    except KeyError as exc:
        where = f"the stored {what} {raw.get('_id', '')}".rstrip()
        raise InvalidInput(str(exc.args[0]), f"is missing from {where}") from exc
    except (TypeError, AttributeError) as exc:  # a stored value of the wrong kind (a list where a dict belongs)
        raise InvalidInput(what, f"stored document {raw.get('_id', '')} is malformed: {exc}") from exc


def _tool(raw: Mapping[str, Any]) -> ToolData:
    data = raw.get("data")
    return ToolData(tool_name=raw["tool_name"], data={} if data is None else data, category=raw.get("category"))


def _message(raw: Mapping[str, Any]) -> Message:
    reply_to = raw.get("reply_to")
    tools = raw.get("tool_data")
    return Message(
        id=MessageId(raw["message_id"]),
        role=raw["role"],
        content=raw.get("content", ""),
        created_at=raw["created_at"],
        pinned=raw.get("pinned", False),
        reply_to=None if reply_to is None else MessageId(reply_to),
        tool_data=tuple(_tool(t) for t in tools) if tools else (),
        edited_at=raw.get("edited_at"),
    )


def _message_count(raw: Mapping[str, Any], least: int) -> int:
    count = raw["message_count"]
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise InvalidInput("message_count", f"must be a non-negative integer, got {count!r:.40}")
    return max(count, least)


def _owner(raw: Mapping[str, Any]) -> UserId:
    owner = raw["user_id"]
    if not isinstance(owner, uuid.UUID):
        raise InvalidInput("user_id", f"must be a UUID, got {type(owner).__name__}")
    return UserId(owner if type(owner) is uuid.UUID else uuid.UUID(int=owner.int))


def _conversation(raw: Mapping[str, Any]) -> Conversation:
    messages = [_message(m) for m in raw.get("messages") or ()]
    return Conversation(
        id=conversation_id_of(raw["_id"]),
        user_id=_owner(raw),
        created_at=raw["created_at"],
        updated_at=raw["updated_at"],
        description=raw.get("description", DEFAULT_DESCRIPTION),
        source=raw.get("source", "web"),
        starred=raw.get("starred", False),
        unread=raw.get("unread", False),
        is_system_generated=raw.get("is_system_generated", False),
        system_purpose=raw.get("system_purpose"),
        messages=messages,
        message_count=_message_count(raw, len(messages)),
    )


def _summary(raw: Mapping[str, Any]) -> ConversationSummary:
    return ConversationSummary(
        id=conversation_id_of(raw["_id"]),
        user_id=_owner(raw),
        description=v.text(
            "description", raw.get("description", DEFAULT_DESCRIPTION), max_length=MAX_DESCRIPTION, strip=False
        ),
        source=parse_source(raw.get("source", "web")),
        starred=_flag(raw, "starred"),
        unread=_flag(raw, "unread"),
        is_system_generated=_flag(raw, "is_system_generated"),
        system_purpose=v.optional_text("system_purpose", raw.get("system_purpose"), max_length=MAX_PURPOSE),
        created_at=v.utc_ms("created_at", raw["created_at"]),
        updated_at=v.utc_ms("updated_at", raw["updated_at"]),
        message_count=_message_count(raw, 0),
    )


def _flag(raw: Mapping[str, Any], name: str) -> bool:
    value = raw.get(name, False)
    if not isinstance(value, bool):
        raise InvalidInput(name, "must be a boolean")
    return value


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
