"""MongoDB checks: reachable and its version, migrations recorded, declared indexes present.

Read-only: unlike the collection registry (which creates what it declares on first use), the doctor only
lists what exists, so examining a database never changes it. Every detail is masked (no password).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pymongo import MongoClient

from gaia_adapters.doctor.report import CheckResult, error_text, fail, ok, warn
from gaia_adapters.mongo.client import open_sync_client
from gaia_adapters.mongo.collections import COLLECTIONS, MIGRATIONS, CollectionSpec
from gaia_adapters.mongo.migrations import migration_ids
from gaia_adapters.settings import GaiaSettings

DATABASE = "MongoDB"


IndexKeys = dict[str, list[tuple[str, Any]]]  # index name -> [(field, direction), ...]


def declared_indexes(declared: Mapping[str, CollectionSpec] = COLLECTIONS) -> dict[str, IndexKeys]:
    """``{collection: {index name: [(field, direction), ...]}}`` as the registry declares them."""
    result: dict[str, IndexKeys] = {}
    for name, spec in declared.items():
        if spec.indexes:
            result[name] = {str(model.document["name"]): list(model.document["key"].items()) for model in spec.indexes}
    return result


def _normal(keys: Iterable[tuple[str, Any]]) -> list[tuple[str, int | str]]:
    """Keys comparable across servers: a direction may come back as 1, 1.0 or a type name ("2dsphere")."""
    return [(field, int(way) if isinstance(way, int | float) else str(way)) for field, way in keys]


def index_problems(
    declared: Mapping[str, IndexKeys], existing_collections: Iterable[str], present: Mapping[str, IndexKeys]
) -> list[str]:
    """What differs: ``collection.index missing`` or ``... has keys X, declared Y``.

    A collection that does not exist yet is no problem: the registry creates it with its indexes on first use.
    """
    existing = set(existing_collections)
    problems: list[str] = []
    for collection, indexes in declared.items():
        if collection not in existing:
            continue
        found = present.get(collection, {})
        for name, keys in indexes.items():
            if name not in found:
                problems.append(f"{collection}.{name} missing")
            elif _normal(found[name]) != _normal(keys):
                problems.append(f"{collection}.{name} has keys {found[name]}, declared {keys}")
    return problems


def _connectivity(client: MongoClient[dict[str, Any]], database_name: str) -> CheckResult:
    client.admin.command("ping")
    info = client.admin.command("buildInfo")
    return ok(DATABASE, "connection", f"server {info.get('version', '?')}, database {database_name}")


def _migrations(database: Any) -> CheckResult:
    cursor = database[MIGRATIONS].find({}, {"_id": 1})
    recorded = {str(row["_id"]) for row in cursor}
    shipped = migration_ids()
    pending = [mid for mid in shipped if mid not in recorded]
    unknown = sorted(recorded - set(shipped))
    note = f"; recorded but not shipped here: {', '.join(unknown)} (newer code?)" if unknown else ""
    if pending:
        return warn(DATABASE, "migrations", f"{len(pending)} pending ({', '.join(pending)}): run gaia-db migrate{note}")
    return ok(DATABASE, "migrations", f"all {len(shipped)} applied{note}")


def _indexes(database: Any) -> CheckResult:
    declared = declared_indexes()
    existing = set(database.list_collection_names())
    present: dict[str, IndexKeys] = {}
    for collection in declared:
        if collection in existing:
            info = database[collection].index_information()
            present[collection] = {name: list(spec["key"]) for name, spec in info.items()}
    problems = index_problems(declared, existing, present)
    checked = sorted(set(declared) & existing)
    absent = len(declared) - len(checked)
    later = f"; {absent} collection(s) not created yet (made with their indexes on first use)" if absent else ""
    if problems:
        detail = f"{len(problems)} problem(s): {'; '.join(problems)} (a process creates missing declared indexes "
        detail += "when it first opens the collection)"
        return warn(DATABASE, "indexes", detail)
    if not checked:
        return ok(
            DATABASE,
            "indexes",
            f"no collection with declared indexes exists yet ({len(declared)} declared; "
            "the registry creates them with their indexes on first use)",
        )
    count = sum(len(declared[name]) for name in checked)
    return ok(DATABASE, "indexes", f"all {count} declared indexes of {len(checked)} collection(s) present{later}")


def _guarded(check: str, work: Callable[[], CheckResult]) -> CheckResult:
    try:
        return work()
    except Exception as exc:  # noqa: BLE001 - reported in the table, masked
        return fail(DATABASE, check, error_text(exc))


def _checks(settings: GaiaSettings) -> list[CheckResult]:
    try:
        client = open_sync_client(settings)
    except ValueError as exc:  # a malformed URL (the message is masked)
        return [fail(DATABASE, "connection", str(exc), unreachable=True)]
    try:
        try:
            connected = _connectivity(client, settings.mongo_database)
        except Exception as exc:  # noqa: BLE001 - any driver or network error: the server is unreachable
            # PyMongo appends its timeouts and the whole topology description: keep the reason only.
            reason = error_text(exc).split(" (configured timeouts")[0].split(", Timeout:")[0]
            return [fail(DATABASE, "connection", f"unreachable: {reason}", unreachable=True)]
        database = client[settings.mongo_database]
        return [
            connected,
            _guarded("migrations", lambda: _migrations(database)),
            _guarded("indexes", lambda: _indexes(database)),
        ]
    finally:
        client.close()


async def mongo_checks(settings: GaiaSettings, *, connect_timeout: float) -> list[CheckResult]:
    """Every MongoDB check; when the server cannot be reached, only that (a FAIL marked unreachable).

    PyMongo's synchronous client, in a worker thread: the checks are a handful of commands, and the async
    client, closed while its monitor is still connecting to an unreachable server, leaves that socket
    unclosed (PyMongo 4.20 closes it on OSError, not on cancellation).
    """
    millis = max(1, int(connect_timeout * 1000))
    bounded = settings.model_copy(
        update={
            "mongo_server_selection_timeout_ms": millis,
            "mongo_connect_timeout_ms": millis,
            "mongo_socket_timeout_ms": max(millis, 1000),
        }
    )
    return await asyncio.to_thread(_checks, bounded)
