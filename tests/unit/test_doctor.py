"""``gaia-db doctor`` without servers: the memory backend, the verdict's exit codes, the comparisons, masking."""

from __future__ import annotations

import json

import pytest
from pymongo import ASCENDING, DESCENDING, IndexModel
from typer.testing import CliRunner

from gaia_adapters.cli import app
from gaia_adapters.doctor import EXIT_ATTENTION, EXIT_OK, EXIT_UNREACHABLE, Report, Status, run_checks
from gaia_adapters.doctor.mongo import IndexKeys, declared_indexes, index_problems
from gaia_adapters.doctor.postgres import expected_indexes, judge_backlog, missing_indexes
from gaia_adapters.doctor.report import CheckResult, error_text, fail, ok, warn
from gaia_adapters.mongo.collections import CollectionSpec
from gaia_adapters.relay.store import Backlog
from gaia_adapters.settings import GaiaSettings

SECRET = "pa55-w0rd-never-shown"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in ("GAIA_POSTGRES_URL", "GAIA_MONGO_URL", "GAIA_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def test_memory_backend_says_there_is_nothing_to_check_and_exits_0(runner: CliRunner) -> None:
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "memory backend: no database to check" in result.output
    assert "Health checks" not in result.output


async def test_run_checks_on_the_memory_backend_is_an_empty_passing_report() -> None:
    report = await run_checks(GaiaSettings(postgres_url=None, mongo_url=None))
    assert report.results == ()
    assert report.exit_code == EXIT_OK


@pytest.mark.parametrize(
    ("results", "code"),
    [
        ((ok("PostgreSQL", "connection", "up"), ok("MongoDB", "connection", "up")), EXIT_OK),
        ((ok("PostgreSQL", "connection", "up"), warn("PostgreSQL", "migrations", "2 pending")), EXIT_ATTENTION),
        ((ok("PostgreSQL", "connection", "up"), fail("PostgreSQL", "indexes", "query failed")), EXIT_ATTENTION),
        (
            (warn("PostgreSQL", "migrations", "x"), fail("MongoDB", "connection", "refused", unreachable=True)),
            EXIT_UNREACHABLE,
        ),
    ],
)
def test_exit_code_is_0_all_ok_1_attention_2_unreachable(results: tuple[CheckResult, ...], code: int) -> None:
    assert Report(results).exit_code == code


def test_details_are_masked_when_a_result_is_made() -> None:
    result = fail("PostgreSQL", "connection", f"cannot reach postgresql://gaia:{SECRET}@db.example/gaia")
    assert SECRET not in result.detail
    assert result.detail == "cannot reach postgresql://gaia:***@db.example/gaia"
    assert result.status is Status.FAIL


def test_error_text_is_one_masked_bounded_line() -> None:
    error = OSError(f"refused\nmongodb://u:{SECRET}@host:1/ " + "x" * 500)
    line = error_text(error, limit=80)
    assert SECRET not in line
    assert "\n" not in line
    assert len(line) == 80
    assert line.startswith("OSError: refused mongodb://u:***@host:1/")


def test_a_server_error_document_is_left_out_of_the_line() -> None:
    # PyMongo's OperationFailure appends the whole reply ($clusterTime, signature bytes): the reason is enough.
    from pymongo.errors import OperationFailure

    reply = {"ok": 0.0, "errmsg": "authentication failed", "code": 18, "codeName": "AuthenticationFailed"}
    error = OperationFailure("authentication failed", 18, {**reply, "$clusterTime": {"signature": b"\x00" * 20}})
    line = error_text(error)
    assert line == "OperationFailure: authentication failed (AuthenticationFailed)"


def test_expected_postgres_indexes_come_from_the_metadata() -> None:
    assert expected_indexes() == {
        "users": {"pk_users", "uq_users_email_normalized", "uq_users_legacy_id"},
        "goals": {"pk_goals", "ix_goals_user_id_created_at_id"},
        "outbox": {"pk_outbox", "ix_outbox_pending_available_at_seq"},
    }


def test_missing_postgres_indexes_are_listed_per_table() -> None:
    expected = {"users": {"pk_users", "uq_users_email_normalized"}, "goals": {"pk_goals"}}
    present = [("users", "pk_users"), ("goals", "pk_goals"), ("goals", "some_extra_index")]
    assert missing_indexes(expected, present) == {"users": ["uq_users_email_normalized"]}
    assert missing_indexes(expected, [*present, ("users", "uq_users_email_normalized")]) == {}


def test_declared_mongo_indexes_come_from_the_registry() -> None:
    declared = declared_indexes()
    assert set(declared["conversations"]) == {
        "owner_activity",
        "owner_starred_activity",
        "owner_source_activity",
        "owner_message",
        "owner_pinned",
    }
    assert declared["conversations"]["owner_activity"] == [("user_id", 1), ("updated_at", -1), ("_id", -1)]
    assert "gaia_migrations" not in declared  # declared without indexes: nothing to compare


def test_mongo_index_problems_name_missing_and_different_indexes_and_ignore_absent_collections() -> None:
    spec = CollectionSpec(
        "things",
        (
            IndexModel([("user_id", ASCENDING), ("t", DESCENDING)], name="owner_t"),
            IndexModel([("user_id", ASCENDING)], name="owner"),
        ),
    )
    declared = declared_indexes({"things": spec, "later": CollectionSpec("later", spec.indexes)})
    present: dict[str, IndexKeys] = {"things": {"_id_": [("_id", 1)], "owner_t": [("user_id", 1.0), ("t", -1)]}}
    assert index_problems(declared, ["things"], present) == ["things.owner missing"]
    present["things"]["owner"] = [("user_id", -1)]
    assert index_problems(declared, ["things"], present) == [
        "things.owner has keys [('user_id', -1)], declared [('user_id', 1)]"
    ]
    present["things"]["owner"] = [("user_id", 1)]
    assert index_problems(declared, ["things"], present) == []


@pytest.mark.parametrize(
    ("backlog", "status", "detail"),
    [
        (None, Status.WARN, "no outbox table (run gaia-db migrate)"),
        (Backlog(0, 0, 0, None, None), Status.OK, "0 pending, 0 due, 0 dead"),
        (Backlog(3, 1, 0, 30.0, 5.0), Status.OK, "3 pending, 1 due, 0 dead"),  # just committed: being dispatched
        (
            Backlog(2, 2, 0, None, 600.0),
            Status.WARN,
            "2 pending, 2 due, 0 dead; oldest due event waits for 600 s: run gaia-db relay",
        ),
        (
            Backlog(0, 0, 4, None, None),
            Status.WARN,
            "0 pending, 0 due, 4 dead; inspect and re-queue the dead events: gaia-db relay --retry-dead",
        ),
    ],
)
def test_outbox_backlog_verdict(backlog: Backlog | None, status: Status, detail: str) -> None:
    result = judge_backlog(backlog, grace_seconds=60)
    assert (result.status, result.detail) == (status, detail)


def test_error_text_masks_before_cutting_so_no_half_password_survives() -> None:
    error = OSError(f"mongodb://u:{SECRET}@host:1/")
    line = error_text(error, limit=len("OSError: mongodb://u:pa55") + 1)
    assert "pa55" not in line


def test_json_on_the_memory_backend(runner: CliRunner) -> None:
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"backend": "memory", "exit_code": 0, "checks": [], "dead_events": []}


def test_report_as_json_carries_every_check_and_the_exit_code() -> None:
    report = Report((ok("MongoDB", "connection", "server 8.0"), warn("MongoDB", "migrations", "1 pending")))
    assert report.as_json() == {
        "exit_code": 1,
        "checks": [
            {"database": "MongoDB", "check": "connection", "status": "OK", "detail": "server 8.0"},
            {"database": "MongoDB", "check": "migrations", "status": "WARN", "detail": "1 pending"},
        ],
        "dead_events": [],
    }
