"""The lazy collection registry: every collection GAIA uses, declared once with its indexes.

A handle is created on first access and cached; the collection (with its optional ``$jsonSchema``
validator) and its indexes are ensured once per registry. Asking for an undeclared name is an error,
so a typo never silently creates a new collection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import CollectionInvalid, OperationFailure

CONVERSATIONS = "conversations"
MIGRATIONS = "gaia_migrations"


class UnknownCollection(LookupError):
    """A collection name that is not declared in :data:`COLLECTIONS`."""

    def __init__(self, name: str) -> None:
        super().__init__(f"collection {name!r} is not declared in gaia_adapters.mongo.collections.COLLECTIONS")
        self.name = name


@dataclass(frozen=True)
class CollectionSpec:
    name: str
    indexes: tuple[IndexModel, ...] = ()
    validator: Mapping[str, Any] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


def _index(*keys: tuple[str, int], name: str, **options: Any) -> IndexModel:
    return IndexModel(list(keys), name=name, **options)


_OWNER = ("user_id", ASCENDING)
_ACTIVITY = (("updated_at", DESCENDING), ("_id", DESCENDING))

# Every query of MongoConversationStore is served by one of these (see conversation_store.py):
# list/search/keyset pages -> owner_activity; starred filter -> owner_starred_activity;
# source filter -> owner_source_activity; pinned messages -> owner_pinned; message lookup -> owner_message.
CONVERSATION_INDEXES = (
    _index(_OWNER, *_ACTIVITY, name="owner_activity"),
    _index(_OWNER, ("starred", ASCENDING), *_ACTIVITY, name="owner_starred_activity"),
    _index(_OWNER, ("source", ASCENDING), *_ACTIVITY, name="owner_source_activity"),
    _index(_OWNER, ("messages.message_id", ASCENDING), name="owner_message"),
    _index(_OWNER, ("messages.pinned", ASCENDING), name="owner_pinned"),
)

# Light on purpose: it guards the fields every query relies on without costing much per insert.
# validationLevel "moderate" lets the migration update legacy documents that predate the validator.
CONVERSATION_VALIDATOR: Mapping[str, Any] = {
    "$jsonSchema": {
        "bsonType": "object",
        "required": ["_id", "user_id", "schema_version", "created_at", "updated_at", "messages", "message_count"],
        "properties": {
            "user_id": {"bsonType": "binData"},
            "schema_version": {"bsonType": "int", "minimum": 1},
            "created_at": {"bsonType": "date"},
            "updated_at": {"bsonType": "date"},
            "messages": {"bsonType": "array"},
            "message_count": {"bsonType": ["int", "long"], "minimum": 0},
            # Not required: documents stored before the size counter existed get it on their first write.
            "message_bytes": {"bsonType": ["int", "long"], "minimum": 0},
            "description": {"bsonType": "string", "maxLength": 200},
            "starred": {"bsonType": "bool"},
            "unread": {"bsonType": "bool"},
        },
    }
}

_GAIA_NAMES = (
    "users",
    "goals",
    "notes",
    "calendar",
    "feedback_form",
    "waitlist",
    "mail",
    "blog",
    "search_urls",
    "files",
    "notifications",
    "todos",
    "projects",
    "reminders",
    "workflows",
    "support_requests",
    "payments",
    "subscriptions",
    "subscription_plans",
    "usage_snapshots",
    "ai_models",
    "device_tokens",
    "integrations",
    "user_integrations",
    "workflow_executions",
    "processed_webhooks",
    "bot_sessions",
    "skills",
    "e2b_sandboxes",
    "e2b_warm_pool",
    "integration_instructions",
)

# Collections this library does not query yet are declared by name with an owner index where the
# data is per user, so the registry is the single list of what exists (no invented schemas).
_PER_USER = frozenset(
    [
        "goals",
        "notes",
        "files",
        "notifications",
        "todos",
        "projects",
        "reminders",
        "workflows",
        "user_integrations",
        "workflow_executions",
        "device_tokens",
        "usage_snapshots",
        "bot_sessions",
    ]
)

COLLECTIONS: dict[str, CollectionSpec] = {
    CONVERSATIONS: CollectionSpec(
        CONVERSATIONS, CONVERSATION_INDEXES, CONVERSATION_VALIDATOR, {"validationLevel": "moderate"}
    ),
    MIGRATIONS: CollectionSpec(MIGRATIONS),
    **{
        name: CollectionSpec(name, (_index(_OWNER, name="owner"),) if name in _PER_USER else ()) for name in _GAIA_NAMES
    },
}


def spec_for(name: str, declared: Mapping[str, CollectionSpec] = COLLECTIONS) -> CollectionSpec:
    try:
        return declared[name]
    except KeyError:
        raise UnknownCollection(name) from None


def _create_options(spec: CollectionSpec) -> dict[str, Any]:
    options = dict(spec.options)
    if spec.validator is not None:
        options["validator"] = dict(spec.validator)
    return options


_NAMESPACE_EXISTS = 48


class CollectionRegistry:
    """Lazy async collections (PyMongo async or Motor database): created, indexed and cached on first use."""

    def __init__(self, database: Any, declared: Mapping[str, CollectionSpec] = COLLECTIONS) -> None:
        self._database = database
        self._declared = declared
        self._ready: dict[str, Any] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def database(self) -> Any:
        return self._database

    async def get(self, name: str) -> Any:
        ready = self._ready.get(name)
        if ready is not None:
            return ready
        spec = spec_for(name, self._declared)
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            if name not in self._ready:
                await self._ensure(spec)
                self._ready[name] = self._database[name]
        return self._ready[name]

    async def _ensure(self, spec: CollectionSpec) -> None:
        try:
            await self._database.create_collection(spec.name, **_create_options(spec))
        except CollectionInvalid:
            pass  # it exists already: keep it as it is (a migration changes validators, not the registry)
        except OperationFailure as exc:
            if exc.code != _NAMESPACE_EXISTS:
                raise
        if spec.indexes:
            await self._database[spec.name].create_indexes(list(spec.indexes))


class SyncCollectionRegistry:
    """The same registry over PyMongo's synchronous database."""

    def __init__(self, database: Any, declared: Mapping[str, CollectionSpec] = COLLECTIONS) -> None:
        self._database = database
        self._declared = declared
        self._ready: dict[str, Any] = {}

    @property
    def database(self) -> Any:
        return self._database

    def get(self, name: str) -> Any:
        ready = self._ready.get(name)
        if ready is not None:
            return ready
        spec = spec_for(name, self._declared)
        try:
            self._database.create_collection(spec.name, **_create_options(spec))
        except CollectionInvalid:
            pass
        except OperationFailure as exc:
            if exc.code != _NAMESPACE_EXISTS:
                raise
        if spec.indexes:
            self._database[spec.name].create_indexes(list(spec.indexes))
        self._ready[name] = self._database[name]
        return self._ready[name]
