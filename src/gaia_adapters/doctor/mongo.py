"""MongoDB checks: reachable and its version, migrations recorded, declared indexes present.

Read-only: unlike the collection registry (which creates what it declares on first use), the doctor only
lists what exists, so examining a database never changes it. Every detail is masked (no password).
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping
from typing import Any

from gaia_adapters.doctor.report import CheckResult, error_text, fail, ok, warn
from gaia_adapters.mongo.client import AsyncClient, close_client, open_client
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


async def _connectivity(client: AsyncClient, database_name: str) -> CheckResult:
    await client.admin.command("ping")
    info = await client.admin.command("buildInfo")
    return ok(DATABASE, "connection", f"server {info.get('version', '?')}, database {database_name}")


async def _migrations(database: Any) -> CheckResult:
    cursor = database[MIGRATIONS].find({}, {"_id": 1})
    recorded = {str(row["_id"]) async for row in cursor}
    shipped = migration_ids()
    pending = [mid for mid in shipped if mid not in recorded]
    unknown = sorted(recorded - set(shipped))
    note = f"; recorded but not shipped here: {', '.join(unknown)} (newer code?)" if unknown else ""
    if pending:
        return warn(DATABASE, "migrations", f"{len(pending)} pending ({', '.join(pending)}): run gaia-db migrate{note}")
    return ok(DATABASE, "migrations", f"all {len(shipped)} applied{note}")


async def _indexes(database: Any) -> CheckResult:
    declared = declared_indexes()
    existing = set(await database.list_collection_names())
    present: dict[str, IndexKeys] = {}
    for collection in declared:
        if collection in existing:
            info = await database[collection].index_information()
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


async def _guarded(check: str, work: Awaitable[CheckResult]) -> CheckResult:
    try:
        return await work
    except Exception as exc:  # noqa: BLE001 - reported in the table, masked
        return fail(DATABASE, check, error_text(exc))


async def mongo_checks(settings: GaiaSettings, *, connect_timeout: float) -> list[CheckResult]:
    """Every MongoDB check; when the server cannot be reached, only that (a FAIL marked unreachable)."""
    millis = max(1, int(connect_timeout * 1000))
    bounded = settings.model_copy(
        update={
            "mongo_server_selection_timeout_ms": millis,
            "mongo_connect_timeout_ms": millis,
            "mongo_socket_timeout_ms": max(millis, 1000),
        }
    )
    try:
        client = await open_client(bounded)
    except (ValueError, RuntimeError) as exc:  # a malformed URL or a missing driver (the message is masked)
        return [fail(DATABASE, "connection", str(exc), unreachable=True)]
    try:
        try:
            connected = await _connectivity(client, settings.mongo_database)
        except Exception as exc:  # noqa: BLE001 - any driver or network error: the server is unreachable
            # PyMongo appends its timeouts and the whole topology description: keep the reason only.
            reason = error_text(exc).split(" (configured timeouts")[0].split(", Timeout:")[0]
            return [fail(DATABASE, "connection", f"unreachable: {reason}", unreachable=True)]
        database = client[settings.mongo_database]
        return [
            connected,
            await _guarded("migrations", _migrations(database)),
            await _guarded("indexes", _indexes(database)),
        ]
    finally:
        await close_client(client)
