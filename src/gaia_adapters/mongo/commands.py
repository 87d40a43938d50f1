"""The ConversationStore's logic written once, without I/O, for the async and the sync store.

Each operation is a generator: it validates its arguments (so bad input never reaches the driver or
bson), yields driver-neutral commands (:class:`InsertOne`, :class:`Find`, ...), receives their results
and returns the domain value. A driver error raised while executing a command is thrown back into the
generator, which maps the ones it expects (a duplicate key, ...); :func:`translate` maps the rest.
:mod:`conversation_store` runs these on PyMongo async or Motor, :mod:`sync` on PyMongo's MongoClient.
"""

from __future__ import annotations

import gc
import random
import re
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias, TypeVar

from bson.errors import BSONError
from pymongo.errors import (
    AutoReconnect,
    BulkWriteError,
    ConnectionFailure,
    DocumentTooLarge,
    DuplicateKeyError,
    ExecutionTimeout,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
    WTimeoutError,
)

from gaia_adapters.driver_text import short_driver_message
from gaia_adapters.mongo.documents import (
    conversation_from_document,
    conversation_id_of,
    conversation_to_document,
    message_from_document,
    message_to_document,
    object_id,
    owner_value,
    summary_from_document,
)
from gaia_domain import validation as v
from gaia_domain.conversations import (
    MAX_CONTENT,
    MAX_CONVERSATION_BYTES,
    MAX_DESCRIPTION,
    Conversation,
    ConversationStats,
    ConversationSummary,
    Message,
    PinnedMessage,
    SearchHit,
    Source,
    check_new_messages,
    check_size,
    message_size,
    messages_size,
    parse_source,
    search_text,
    text_bytes,
    too_large,
)
from gaia_domain.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    DomainError,
    InvalidInput,
    NotFound,
    StoreUnavailable,
)
from gaia_domain.ids import ConversationId, MessageId, UserId
from gaia_domain.pagination import MAX_CURSOR_INDEX, Page, decode_cursor, encode_cursor, page_size

MAX_LAST_MESSAGES = 10_000
TOP_TOOLS = 10
_ACTIVITY_ORDER = (("updated_at", -1), ("_id", -1))
_SUMMARY = {"messages": 0}  # lists never transfer messages
_MESSAGE_COUNT = {"$size": {"$ifNull": ["$messages", []]}}
_DUPLICATE_KEY = 11000
# The server's own "document too large" errors: BSONObjectTooLarge, an update's result over 16 MiB, an upsert's.
_TOO_LARGE_CODES = frozenset({10334, 17419, 17420})
_WRITE_ATTEMPTS = 5  # a guarded write retried after a concurrent change of the same conversation (rare)
# Edits of one message's content are compare-and-set: with many concurrent editors only one wins each round, so
# the others retry after a random pause (full jitter, growing to at most 64 x 2 ms), as retry_on_conflict does.
_EDIT_ATTEMPTS = 30
_EDIT_BACKOFF_SECONDS = 0.002

T = TypeVar("T")
Document: TypeAlias = dict[str, Any]


# ---------------------------------------------------------------------------------------------- commands


@dataclass(frozen=True, slots=True)
class InsertOne:
    document: Document


@dataclass(frozen=True, slots=True)
class InsertMany:
    """Unordered: every document is tried; result = number inserted."""

    documents: list[Document]


@dataclass(frozen=True, slots=True)
class FindOne:
    filter: Document
    projection: Document | None = None


@dataclass(frozen=True, slots=True)
class Find:
    filter: Document
    projection: Document | None
    sort: tuple[tuple[str, int], ...]
    limit: int


@dataclass(frozen=True, slots=True)
class UpdateOne:
    """Result = matched count (acknowledged writes only; no document is returned)."""

    filter: Document
    update: Document
    array_filters: list[Document] | None = None


@dataclass(frozen=True, slots=True)
class DeleteOne:
    filter: Document


@dataclass(frozen=True, slots=True)
class DeleteMany:
    filter: Document


@dataclass(frozen=True, slots=True)
class Aggregate:
    pipeline: list[Document]


@dataclass(frozen=True, slots=True)
class Pause:
    """Wait before the next attempt of a guarded write that lost to a concurrent writer (no database call)."""

    seconds: float


Command: TypeAlias = InsertOne | InsertMany | FindOne | Find | UpdateOne | DeleteOne | DeleteMany | Aggregate | Pause
Operation: TypeAlias = Generator[Command, Any, T]


def translate(exc: BaseException) -> DomainError:
    """A driver error no operation expected, as a domain error (the caller raises it ``from exc``)."""
    if isinstance(exc, DuplicateKeyError):
        return AlreadyExists("conversation", (exc.details or {}).get("keyValue"))
    if is_too_large(exc):  # permanent, never "retry later"; writes name their field (see _too_large_write)
        return InvalidInput("document", f"is too large for MongoDB (over 16 MiB): {short_driver_message(exc)}")
    if isinstance(exc, BSONError):
        return InvalidInput("document", f"cannot be stored: {exc}")
    if isinstance(exc, ConnectionFailure | AutoReconnect | ServerSelectionTimeoutError | ExecutionTimeout):
        text = short_driver_message(exc)  # which server and why: "127.0.0.1:1: [Errno 111] Connection refused"
        return StoreUnavailable("mongodb", f"{type(exc).__name__}: {text}" if text else type(exc).__name__)
    if isinstance(exc, WTimeoutError):
        return StoreUnavailable("mongodb", "write concern timeout")
    if isinstance(exc, OperationFailure):
        return StoreUnavailable("mongodb", f"command failed (code {exc.code})")
    text = short_driver_message(exc)  # e.g. InvalidOperation: "Cannot use AsyncMongoClient after close"
    return StoreUnavailable("mongodb", f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


DRIVER_ERRORS = (PyMongoError, BSONError)


def is_too_large(exc: BaseException) -> bool:
    """The driver (a command over its size limit) or the server (a document over 16 MiB) refused the size."""
    return isinstance(exc, DocumentTooLarge) or (isinstance(exc, OperationFailure) and exc.code in _TOO_LARGE_CODES)


# ---------------------------------------------------------------------------------------------- helpers


def _key(user_id: UserId, conversation_id: ConversationId) -> Document:
    """Every filter starts with the owner: a foreign id behaves like a missing one."""
    return {"_id": object_id(conversation_id), "user_id": owner_value(user_id)}


def _flag(name: str, value: object) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise InvalidInput(name, "must be a boolean")
    return value


def _not_found(conversation_id: ConversationId | str) -> NotFound:
    return NotFound("conversation", ConversationId.parse(conversation_id).value)


def _time_cursor(kind: str, token: str) -> tuple[datetime, str]:
    key = decode_cursor(kind, token)
    raw_time, raw_id = key.get("t"), key.get("id")
    if not isinstance(raw_time, str) or not isinstance(raw_id, str):
        raise InvalidInput("cursor", "is malformed")
    try:
        return v.utc_ms("cursor", datetime.fromisoformat(raw_time)), raw_id
    except ValueError as exc:
        raise InvalidInput("cursor", "is malformed") from exc


def literal_pattern(text: str) -> str:
    """The user's text as a regex matching it literally (never a pattern, never an operator)."""
    return re.escape(search_text(text))


# ---------------------------------------------------------------------------------------------- writes


def add(conversation: Conversation) -> Operation[None]:
    if not isinstance(conversation, Conversation):
        raise InvalidInput("conversation", f"must be a Conversation, got {type(conversation).__name__}")
    document = conversation_to_document(conversation)
    check_size(0, document["message_bytes"])
    try:
        yield InsertOne(document)
    except DuplicateKeyError as exc:
        raise AlreadyExists("conversation", conversation.id.value) from exc
    except DRIVER_ERRORS as exc:
        if is_too_large(exc):  # the last line of defence: the estimate said it fits, the server disagreed
            raise too_large("messages") from exc
        raise


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch's documents are built: they are thousands of new dicts that
    hold no cycles, and each collection the allocations trigger would walk all of them (and the batch they
    are made from) for nothing. Restored as it was, also on an error."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def add_many(conversations: Sequence[Conversation]) -> Operation[int]:
    """The import path: one unordered ``insert_many``; existing ids are skipped, not errors."""
    for conversation in conversations:
        if not isinstance(conversation, Conversation):
            raise InvalidInput("conversations", f"must be Conversations, got {type(conversation).__name__}")
    with gc_paused():
        documents = [conversation_to_document(conversation) for conversation in conversations]
    for document in documents:  # all checked before any is written, as the fake does
        check_size(0, document["message_bytes"])
    if not documents:
        return 0
    try:
        inserted: int = yield InsertMany(documents)
    except BulkWriteError as exc:
        details = exc.details or {}
        others = [e for e in details.get("writeErrors", ()) if e.get("code") != _DUPLICATE_KEY]
        too_large_ones = [e for e in others if _is_too_large_write_error(e)]
        if too_large_ones:  # permanent: the estimate said it fits, the server disagreed (tool data of tiny numbers)
            index = too_large_ones[0].get("index")
            name = conversations[index].id.value if isinstance(index, int) and index < len(conversations) else "?"
            reason = (
                f"conversation {name} (index {index}) is too large for MongoDB (over 16 MiB); "
                f"the batch's other conversations were written ({details.get('nInserted', 0)})"
            )
            raise InvalidInput("conversations", reason) from exc
        if others:
            raise StoreUnavailable("mongodb", f"bulk insert failed: {others[0].get('errmsg', '')[:200]}") from exc
        return int(details.get("nInserted", 0))
    except DocumentTooLarge as exc:  # the driver refused one before sending anything
        raise InvalidInput("conversations", f"a conversation is too large for MongoDB (over 16 MiB): {exc}") from exc
    return inserted


def _is_too_large_write_error(error: Document) -> bool:
    """A bulk write error for a document over 16 MiB: MongoDB's size codes, or BadValue (2) "... too large"."""
    code, message = error.get("code"), str(error.get("errmsg", ""))
    return code in _TOO_LARGE_CODES or (code == 2 and "too large" in message)


def _too_large_write(exc: BaseException, field_name: str) -> None:
    """A write the server refused as too large: the same InvalidInput as the size guard (``exc`` as its cause)."""
    if is_too_large(exc):
        raise too_large(field_name) from exc


def append_messages(user_id: UserId, conversation_id: ConversationId, messages: Sequence[Message]) -> Operation[None]:
    """One ``$push`` guarded by ``$nin`` on the ids and by the size budget: atomic, idempotent, the same bytes at
    any size.

    ``message_bytes`` (the conversation's :func:`messages_size`) moves by ``$inc`` in the same update as the
    ``$push``, and the filter only matches while the batch still fits, so two concurrent appends can never
    together pass the budget. A conversation stored before the counter existed has no ``message_bytes``: the
    filter does not match it, and the slow path counts it once (:func:`_count_size`) and tries again.
    """
    key = _key(user_id, conversation_id)
    batch = list(messages)
    check_new_messages(batch)
    added = messages_size(batch)
    if added > MAX_CONVERSATION_BYTES:  # too large whatever the conversation holds: refused before any I/O
        raise too_large("messages")
    ids = [m.id.value for m in batch]
    update = {
        "$push": {"messages": {"$each": [message_to_document(m) for m in batch]}},
        "$inc": {"message_count": len(batch), "message_bytes": added},
        "$max": {"updated_at": max(m.created_at for m in batch)},
    }
    guarded = {**key, "messages.message_id": {"$nin": ids}, "message_bytes": {"$lte": MAX_CONVERSATION_BYTES - added}}
    for _ in range(_WRITE_ATTEMPTS):
        try:
            matched = yield UpdateOne(guarded, update)
        except DRIVER_ERRORS as exc:
            _too_large_write(exc, "messages")
            raise
        if matched:
            return
        # Nothing matched: missing / foreign conversation, a message id already there, no room, or no counter yet.
        found = yield FindOne(
            key, {"_id": 1, "message_bytes": 1, "messages": {"$elemMatch": {"message_id": {"$in": ids}}}}
        )
        if found is None:
            raise _not_found(conversation_id)
        if found.get("messages"):
            raise AlreadyExists("message", found["messages"][0]["message_id"])
        stored = found.get("message_bytes")
        if not isinstance(stored, int):
            yield from _count_size(key)
            continue
        check_size(stored, added)
        # It fits now: an edit made room between the two commands. Try again.
    raise ConcurrencyConflict("conversation", ConversationId.parse(conversation_id).value)


def _count_size(key: Document) -> Operation[None]:
    """Give a conversation stored before ``message_bytes`` existed its counter, counted from its messages.

    Once per such document (O(n) that once; every later write is O(1)). Safe without a transaction: every write
    of this store that changes a message's size requires the counter to exist, so nothing changes the sizes
    between the read and the ``$set``, and the ``$exists: false`` guard never overwrites a concurrent count.
    """
    raw = yield FindOne(key, {"message_bytes": 1, "messages": 1})
    if raw is None or isinstance(raw.get("message_bytes"), int):
        return
    size = sum(message_size(message_from_document(m)) for m in raw.get("messages") or ())
    yield UpdateOne({**key, "message_bytes": {"$exists": False}}, {"$set": {"message_bytes": size}})


def update_message(
    user_id: UserId,
    conversation_id: ConversationId,
    message_id: MessageId,
    *,
    content: str | None = None,
    pinned: bool | None = None,
    edited_at: datetime | None = None,
) -> Operation[None]:
    key = _key(user_id, conversation_id)
    target = MessageId.parse(message_id).value
    changes: Document = {}
    if content is not None:
        if edited_at is None:
            raise InvalidInput("edited_at", "is required when the content changes")
        text = v.text("message.content", content, max_length=MAX_CONTENT, allow_empty=True, strip=False)
        changes["messages.$[m].content"] = text
        changes["messages.$[m].edited_at"] = v.utc_ms("edited_at", edited_at)
    if _flag("pinned", pinned) is not None:
        changes["messages.$[m].pinned"] = pinned
    with_message = {**key, "messages.message_id": target}
    matched: int
    if content is not None:
        matched = yield from _edit_content(key, target, changes, text_bytes(changes["messages.$[m].content"]))
    elif changes:
        matched = yield UpdateOne(with_message, {"$set": changes}, [{"m.message_id": target}])
    else:
        matched = int((yield FindOne(with_message, {"_id": 1})) is not None)
    if matched:
        return
    if (yield FindOne(key, {"_id": 1})) is None:
        raise _not_found(conversation_id)
    raise NotFound("message", target)


def _edit_content(key: Document, target: str, changes: Document, new_bytes: int) -> Operation[int]:
    """A content edit that keeps ``message_bytes`` exact: read the one message (an ``$elemMatch`` projection, O(1)
    in the conversation's length), then one update that ``$inc``s the counter by the change of the content's size,
    guarded by the content it replaces (compare and set) and by the budget. A concurrent edit of the same message
    makes the guard miss: read again and retry after a jittered pause. The matched count: 0 when the message (or
    conversation) is missing."""
    for attempt in range(1, _EDIT_ATTEMPTS + 1):
        if attempt > 2:  # the second attempt follows at once (a single concurrent editor is the usual case)
            yield Pause(random.uniform(0, _EDIT_BACKOFF_SECONDS * 2 ** min(attempt - 2, 6)))
        found = yield FindOne(
            {**key, "messages.message_id": target},
            {"_id": 1, "message_bytes": 1, "messages": {"$elemMatch": {"message_id": target}}},
        )
        if found is None or not found.get("messages"):
            return 0
        stored = found.get("message_bytes")
        if not isinstance(stored, int):  # stored before the counter existed: count it once, then edit
            yield from _count_size(key)
            continue
        old = found["messages"][0].get("content")  # None matches a missing content too
        delta = new_bytes - (text_bytes(old) if isinstance(old, str) else 0)
        check_size(stored, delta, "message.content")
        budget = {"$lte": MAX_CONVERSATION_BYTES - delta} if delta > 0 else {"$exists": True}
        try:
            matched = yield UpdateOne(
                {**key, "message_bytes": budget, "messages": {"$elemMatch": {"message_id": target, "content": old}}},
                {"$set": changes, "$inc": {"message_bytes": delta}},
                [{"m.message_id": target}],
            )
        except DRIVER_ERRORS as exc:
            _too_large_write(exc, "message.content")
            raise
        if matched:
            return 1
    raise ConcurrencyConflict("message", target)


def update_metadata(
    user_id: UserId,
    conversation_id: ConversationId,
    *,
    description: str | None = None,
    starred: bool | None = None,
    unread: bool | None = None,
) -> Operation[None]:
    """Rename, star, mark read: ``$set`` only; the activity time is left alone."""
    key = _key(user_id, conversation_id)
    changes: Document = {}
    if description is not None:
        changes["description"] = v.text("description", description, max_length=MAX_DESCRIPTION)
    if _flag("starred", starred) is not None:
        changes["starred"] = starred
    if _flag("unread", unread) is not None:
        changes["unread"] = unread
    if changes:
        matched = yield UpdateOne(key, {"$set": changes})
    else:
        matched = int((yield FindOne(key, {"_id": 1})) is not None)
    if not matched:
        raise _not_found(conversation_id)


def delete(user_id: UserId, conversation_id: ConversationId) -> Operation[None]:
    deleted = yield DeleteOne(_key(user_id, conversation_id))
    if not deleted:
        raise _not_found(conversation_id)


def delete_all_for_user(user_id: UserId) -> Operation[int]:
    deleted: int = yield DeleteMany({"user_id": owner_value(user_id)})
    return deleted


# ---------------------------------------------------------------------------------------------- reads


def get(
    user_id: UserId, conversation_id: ConversationId, *, last_messages: int | None = None
) -> Operation[Conversation]:
    key = _key(user_id, conversation_id)
    projection = None
    if last_messages is not None:
        count = v.positive_int("last_messages", last_messages, maximum=MAX_LAST_MESSAGES)
        projection = {"messages": {"$slice": -count}}  # the server sends only the last N
    raw = yield FindOne(key, projection)
    if raw is None:
        raise _not_found(conversation_id)
    return conversation_from_document(raw)


def list_summaries(
    user_id: UserId,
    *,
    starred: bool | None = None,
    source: Source | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> Operation[Page[ConversationSummary]]:
    base = list_filter(user_id, starred=starred, source=source)
    size = page_size(limit)
    after = _time_cursor("conversations", cursor) if cursor is not None else None
    rows: list[Document] = []
    for query in keyset_queries(base, size + 1, after):
        rows += yield Find(query.filter, _SUMMARY, query.sort, query.limit - len(rows))
        if len(rows) > size:
            break
    legacy = [row["_id"] for row in rows[:size] if "message_count" not in row]
    if legacy:  # documents not migrated yet store no count: count those on the server (none once migrated)
        counted = yield Aggregate([{"$match": {**base, "_id": {"$in": legacy}}}, {"$project": {"n": _MESSAGE_COUNT}}])
        counts = {row["_id"]: row["n"] for row in counted}
        for row in rows[:size]:
            row.setdefault("message_count", counts.get(row["_id"], 0))
    items = tuple(summary_from_document(row) for row in rows[:size])
    if len(rows) <= size:
        return Page(items, None)
    last = items[-1]
    return Page(items, encode_cursor("conversations", {"t": last.updated_at.isoformat(), "id": last.id.value}))


def list_filter(user_id: UserId, *, starred: bool | None = None, source: Source | None = None) -> Document:
    base: Document = {"user_id": owner_value(user_id)}
    if _flag("starred", starred) is not None:
        base["starred"] = starred
    if source is not None:
        base["source"] = parse_source(source).value
    return base


@dataclass(frozen=True, slots=True)
class KeysetQuery:
    filter: Document
    sort: tuple[tuple[str, int], ...]
    limit: int


def keyset_queries(base: Document, want: int, after: tuple[datetime, str] | None) -> list[KeysetQuery]:
    """A page after the cursor as at most two plain range queries on (owner, updated_at, _id).

    No ``$or``/``$expr``: first the rest of the cursor's tie group (same time, smaller id), then the
    older items. Each reads one index range, so the cost does not grow with the depth of the page.
    """
    if after is None:
        return [KeysetQuery(base, _ACTIVITY_ORDER, want)]
    time, raw_id = after
    cursor_id = object_id(ConversationId.parse(raw_id, "cursor"))
    return [
        KeysetQuery({**base, "updated_at": time, "_id": {"$lt": cursor_id}}, (("_id", -1),), want),
        KeysetQuery({**base, "updated_at": {"$lt": time}}, _ACTIVITY_ORDER, want),
    ]


def messages_page(
    user_id: UserId, conversation_id: ConversationId, *, limit: int = 20, cursor: str | None = None
) -> Operation[Page[Message]]:
    """Newest first through ``$slice`` projections: only the page's messages leave the server."""
    key = _key(user_id, conversation_id)
    this = ConversationId.parse(conversation_id).value
    size = page_size(limit)
    before: int | None = None
    if cursor is not None:
        token = decode_cursor("messages", cursor)
        index = token.get("i")
        if token.get("c") != this:
            raise InvalidInput("cursor", "belongs to another conversation")
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= MAX_CURSOR_INDEX:
            raise InvalidInput("cursor", "is malformed")
        before = index
    if before is None:
        raw = yield FindOne(key, {"message_count": 1, "messages": {"$slice": -size}})
        if raw is None:
            raise _not_found(conversation_id)
        page = raw.get("messages") or []
        total = yield from _message_total(key, raw, len(page))
        start = max(0, total - len(page))
    else:
        start = max(0, before - size)
        if before == 0:
            page = []
            raw = yield FindOne(key, {"_id": 1})
        else:
            raw = yield FindOne(key, {"_id": 1, "message_count": 1, "messages": {"$slice": [start, before - start]}})
            page = (raw or {}).get("messages") or []
        if raw is None:
            raise _not_found(conversation_id)
        if before > 0 and len(page) < before - start:
            # The cursor points past the end (the conversation was re-created shorter, or the cursor was made by
            # hand: its key is public). Like the fake, the page ends at the last message instead: never an empty
            # page that still carries a cursor.
            total = min((yield from _message_total(key, raw, start + len(page))), before)
            start, page = max(0, total - size), []
            if total:
                raw = yield FindOne(key, {"_id": 1, "messages": {"$slice": [start, total - start]}})
                if raw is None:
                    raise _not_found(conversation_id)
                page = raw.get("messages") or []
    items = tuple(message_from_document(m) for m in reversed(page))
    next_cursor = encode_cursor("messages", {"c": this, "i": start}) if start > 0 else None
    return Page(items, next_cursor)


def _message_total(key: Document, raw: Document, least: int) -> Operation[int]:
    """The conversation's stored ``message_count``; a legacy document not migrated yet has none: count on the
    server."""
    total = raw.get("message_count")
    if not isinstance(total, int):
        counted = yield Aggregate([{"$match": key}, {"$project": {"n": _MESSAGE_COUNT}}])
        total = counted[0]["n"] if counted else least
    return total


def pinned_messages(user_id: UserId, *, limit: int = 50) -> Operation[Sequence[PinnedMessage]]:
    size = page_size(limit)
    rows = yield Aggregate(pinned_pipeline(user_id, size))
    return [
        PinnedMessage(conversation_id_of(row["_id"]), row["description"], message_from_document(row["message"]))
        for row in rows
    ]


def pinned_pipeline(user_id: UserId, size: int) -> list[Document]:
    return [
        {"$match": {"user_id": owner_value(user_id), "messages.pinned": True}},  # index owner_pinned
        {"$project": {"description": 1, "message": {"$filter": {"input": "$messages", "cond": "$$this.pinned"}}}},
        {"$unwind": "$message"},
        {"$sort": {"message.created_at": -1, "message.message_id": -1}},
        {"$limit": size},
    ]


def search(user_id: UserId, text: str, *, limit: int = 20) -> Operation[Sequence[SearchHit]]:
    pattern = literal_pattern(text)
    size = page_size(limit)
    rows = yield Aggregate(search_pipeline(user_id, pattern, size))
    hits = []
    for row in rows:
        ids = tuple(MessageId(i) for i in row.pop("matching_ids"))
        matches = bool(row.pop("description_matches"))
        hits.append(SearchHit(summary_from_document(row), matches, ids))
    return hits


def search_pipeline(user_id: UserId, pattern: str, size: int) -> list[Document]:
    regex = {"$regex": pattern, "$options": "i"}

    def matches(field: str) -> Document:
        return {"$regexMatch": {"input": {"$ifNull": [field, ""]}, "regex": pattern, "options": "i"}}

    summary = dict.fromkeys(_SUMMARY_FIELDS, 1)
    matching = {"$filter": {"input": {"$ifNull": ["$messages", []]}, "cond": matches("$$this.content")}}
    return [
        {"$match": {"user_id": owner_value(user_id), "$or": [{"description": regex}, {"messages.content": regex}]}},
        {"$sort": dict(_ACTIVITY_ORDER)},
        {"$limit": size},
        {
            "$project": {
                **summary,
                "message_count": {"$ifNull": ["$message_count", _MESSAGE_COUNT]},  # legacy documents store none
                "description_matches": matches("$description"),
                "matching_ids": {
                    "$map": {
                        "input": matching,
                        "in": "$$this.message_id",
                    }
                },
            }
        },
    ]


_SUMMARY_FIELDS = (
    "schema_version",
    "user_id",
    "description",
    "source",
    "starred",
    "unread",
    "is_system_generated",
    "system_purpose",
    "created_at",
    "updated_at",
    "message_count",
)


def stats(user_id: UserId) -> Operation[ConversationStats]:
    rows = yield Aggregate(stats_pipeline(user_id))
    facets = rows[0] if rows else {}

    def counts(name: str) -> dict[str, int]:
        return {str(r["_id"]): int(r["n"]) for r in facets.get(name, ())}

    by_role = dict(sorted(counts("by_role").items()))
    tools = sorted(counts("tools").items(), key=lambda item: (-item[1], item[0]))[:TOP_TOOLS]
    totals = facets.get("totals") or [{}]
    return ConversationStats(
        conversations=int(totals[0].get("conversations", 0)),
        messages=sum(by_role.values()),
        pinned=int(totals[0].get("pinned", 0)),
        messages_by_role=by_role,
        messages_per_day=dict(sorted(counts("per_day").items())),
        top_tools=tuple(tools),
    )


def stats_pipeline(user_id: UserId) -> list[Document]:
    """One ``$facet`` over the owner's conversations: totals, by role, per UTC day and top tools."""
    messages = [{"$unwind": "$messages"}]
    return [
        {"$match": {"user_id": owner_value(user_id)}},
        {
            "$facet": {
                "totals": [
                    {
                        "$group": {
                            "_id": None,
                            "conversations": {"$sum": 1},
                            "pinned": {
                                "$sum": {
                                    "$size": {
                                        "$filter": {
                                            "input": {"$ifNull": ["$messages", []]},
                                            "cond": {"$eq": ["$$this.pinned", True]},
                                        }
                                    }
                                }
                            },
                        }
                    }
                ],
                "by_role": [*messages, {"$group": {"_id": "$messages.role", "n": {"$sum": 1}}}],
                "per_day": [
                    *messages,
                    {
                        "$group": {
                            "_id": {"$dateToString": {"format": "%Y-%m-%d", "date": "$messages.created_at"}},
                            "n": {"$sum": 1},
                        }
                    },
                ],
                "tools": [
                    *messages,
                    {"$unwind": "$messages.tool_data"},
                    {"$group": {"_id": "$messages.tool_data.tool_name", "n": {"$sum": 1}}},
                    {"$sort": {"n": -1, "_id": 1}},
                    {"$limit": TOP_TOOLS},
                ],
            }
        },
    ]


__all__ = [
    "DRIVER_ERRORS",
    "Aggregate",
    "Command",
    "DeleteMany",
    "DeleteOne",
    "Find",
    "FindOne",
    "InsertMany",
    "InsertOne",
    "Operation",
    "UpdateOne",
    "translate",
]
