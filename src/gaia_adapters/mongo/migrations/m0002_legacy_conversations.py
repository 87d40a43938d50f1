"""Upgrade GAIA's legacy conversation documents to the current shape, in batches.

A legacy document is one without a current ``schema_version``. Its owner (a GAIA ObjectId hex string)
is mapped through the resolver (``User.legacy_id``); documents whose owner does not map, or that cannot
be made valid, are left as they were and reported (:class:`MigrationIncomplete`), never guessed.
Each document is replaced only if it is still legacy, so re-running resumes where a crash stopped.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from pymongo import ReplaceOne
from pymongo.errors import BulkWriteError

from gaia_adapters.mongo.collections import CONVERSATIONS
from gaia_adapters.mongo.documents import (
    SCHEMA_VERSION,
    LegacyOwnerUnmapped,
    conversation_from_document,
    upgrade_document,
)
from gaia_domain.errors import InvalidInput

if TYPE_CHECKING:
    from gaia_adapters.mongo.migrations import MigrationContext

ID = "0002_legacy_conversations"
BATCH_SIZE = 200
LEGACY = {"schema_version": {"$not": {"$gte": SCHEMA_VERSION}}}  # missing or older


async def up(context: MigrationContext) -> None:
    from gaia_adapters.mongo.migrations import MigrationIncomplete

    collection = await context.registry.get(CONVERSATIONS)
    total = await collection.count_documents(LEGACY)
    incomplete = MigrationIncomplete(ID)
    done = 0
    context.report(done, total)
    last_id: Any = None
    while True:
        query = dict(LEGACY) if last_id is None else {**LEGACY, "_id": {"$gt": last_id}}
        batch = await collection.find(query, sort=[("_id", 1)], limit=BATCH_SIZE).to_list(None)
        if not batch:
            break
        last_id = batch[-1]["_id"]
        writes, ids = [], []
        for raw in batch:
            upgraded = await _upgraded(context, raw, incomplete)
            if upgraded is not None:
                # Guarded: replaced only while still legacy (a concurrent run or a resume does not redo it).
                writes.append(ReplaceOne({"_id": raw["_id"], **LEGACY}, upgraded))
                ids.append(str(raw["_id"]))
        if writes:
            try:
                await collection.bulk_write(writes, ordered=False)
            except BulkWriteError as exc:
                for error in (exc.details or {}).get("writeErrors", ()):
                    incomplete.invalid.append((ids[error["index"]], str(error.get("errmsg", ""))[:200]))
        done += len(batch)
        context.report(done, total)
    if incomplete.unmapped_owners or incomplete.invalid:
        raise incomplete


async def _upgraded(context: MigrationContext, raw: dict[str, Any], incomplete: Any) -> dict[str, Any] | None:
    conversation_id = str(raw.get("_id"))
    owner = raw.get("user_id")
    mapped = None
    if not isinstance(owner, uuid.UUID):
        mapped = await context.resolve_owner(str(owner)) if isinstance(owner, str) and owner else None
        if mapped is None:
            incomplete.unmapped_owners.append((conversation_id, str(owner)))
            return None
    try:
        upgraded = upgrade_document(raw, owner=mapped)
        conversation_from_document(upgraded)  # must read back as a current document (domain checks, no coercion)
    except LegacyOwnerUnmapped:
        incomplete.unmapped_owners.append((conversation_id, str(owner)))
        return None
    except (InvalidInput, ValueError) as exc:
        incomplete.invalid.append((conversation_id, str(exc)[:200]))
        return None
    return upgraded
