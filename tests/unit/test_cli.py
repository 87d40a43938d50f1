"""``gaia-db``: every command listed, the demo end to end, one-line errors with exit code 2, masked URLs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import typer
from typer.core import TyperCommand
from typer.testing import CliRunner

from gaia_adapters.cli import app
from gaia_adapters.cli.common import GlobalOptions, console, describe_error, require_feature, run, settings_for
from gaia_adapters.cli.stats import show_stats
from gaia_adapters.container import build_container, running
from gaia_domain.conversations import ToolData
from gaia_domain.services import NewMessage

COMMANDS = ("demo", "migrate", "import", "stats", "doctor", "relay")
SECRET = "pa55-w0rd-never-shown"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in ("GAIA_POSTGRES_URL", "GAIA_MONGO_URL", "GAIA_DEBUG", "GAIA_MONGO_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAIA_")}
    env["COLUMNS"] = "140"
    return env


def test_help_lists_every_command(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert f" {command} " in result.output
    assert "--postgres-url" in result.output
    assert "--mongo-url" in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_takes_the_backend_options(runner: CliRunner, command: str) -> None:
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--postgres-url" in result.output
    assert "--mongo-url" in result.output
    assert "GAIA_POSTGRES_URL" in result.output


def test_demo_runs_the_whole_scenario_and_exits_0() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gaia_adapters.cli", "demo"],
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    for title in (
        "Users",
        "Ada's conversations (newest activity first, page 1 of 2)",
        "'Weekend in Lisbon': last 3 of 5 messages",
        "Pinned messages (newest first)",
        "Search 'LISBON'",
        "Goal 'Run a half marathon': roadmap completed node by node",
        "Messages per day (UTC)",
        "Messages by role",
        "Top tools",
        "Events dispatched after commit",
    ):
        assert title in out
    assert "users & goals: memory; conversations: memory" in out
    assert "Rejected a roadmap edit, stored goal unchanged (version 1): roadmap.edges:" in out
    assert "0% → 16% → 33% → 50% → 66% → 83% → 100%" in out
    assert "Deleted Linus: conversations 3 -> 0" in out  # with the welcome conversation (UserRegistered)
    assert "Demo finished: 3 users, 5 conversations and 13 messages" in out  # + welcome, + goal-completed message
    assert "flight_search" in out


def test_bad_email_exits_2_naming_the_field(runner: CliRunner) -> None:
    result = runner.invoke(app, ["stats", "--user", "not-an-email"])
    assert result.exit_code == 2
    assert "invalid input: email: is not a valid email address" in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_unknown_user_exits_2_with_one_line(runner: CliRunner) -> None:
    result = runner.invoke(app, ["stats", "--user", "nobody@example.org"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: not found: user nobody@example.org"


def test_invalid_setting_exits_2_naming_it(runner: CliRunner) -> None:
    result = runner.invoke(app, ["stats", "--user", "a@example.org"], env={"GAIA_MONGO_DATABASE": "bad/name"})
    assert result.exit_code == 2
    assert "invalid setting: mongo_database:" in result.output
    assert "Traceback" not in result.output


def test_migrate_without_a_database_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 2
    assert "nothing to migrate" in result.output


def test_passwords_never_printed(runner: CliRunner) -> None:
    url = f"postgresql+asyncpg://gaia:{SECRET}@127.0.0.1:1/gaia_missing"
    for args in (["--postgres-url", url, "stats", "--user", "a@example.org"], ["demo", "--postgres-url", url]):
        result = runner.invoke(app, args)
        assert result.exit_code in (1, 2)
        assert SECRET not in result.output
        assert "Traceback" not in result.output
    # A URL the driver rejects before any connection: its error message quotes the URL, masked.
    result = runner.invoke(app, ["demo"], env={"GAIA_MONGO_URL": f"mongodb://gaia:{SECRET}@127.0.0.1:no-port"})
    assert result.exit_code == 2
    assert SECRET not in result.output
    assert "invalid setting: mongo_url: invalid MongoDB URL mongodb://gaia:***@127.0.0.1:no-port" in result.output


def test_command_options_override_global_ones_which_override_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GAIA_POSTGRES_URL", "postgresql+asyncpg://env@h/db")
    monkeypatch.setenv("GAIA_MONGO_URL", "mongodb://env@h")
    ctx = typer.Context(TyperCommand("x"), obj=GlobalOptions(postgres_url="postgresql+asyncpg://global@h/db"))
    settings = settings_for(ctx, None, "mongodb://command@h")
    assert settings.postgres_url_value() == "postgresql+asyncpg://global@h/db"
    assert settings.mongo_url_value() == "mongodb://command@h"
    assert settings_for(typer.Context(TyperCommand("x")), None, None).mongo_url_value() == "mongodb://env@h"


def test_missing_feature_exits_1_with_a_clear_message(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as caught:
        require_feature("gaia_adapters.no_such_module", "run", "gaia-db example")
    assert caught.value.exit_code == 1
    assert "gaia-db example is not available in this installation" in capsys.readouterr().err


async def test_stats_prints_every_aggregation() -> None:
    async with running(build_container()) as services:
        user = await services.users.register(email="Stats@Example.org", name="S")
        conversation = await services.conversations.start(user.id, messages=[NewMessage(role="user", content="hi")])
        sent = await services.conversations.send_messages(
            user.id,
            conversation.id,
            [NewMessage(role="assistant", content="done", tool_data=(ToolData("calculator", {"x": 1}),))],
        )
        await services.conversations.pin_message(user.id, conversation.id, sent[0].id)
        with console.capture() as tables_out:
            await show_stats(services, "stats@example.org")
        with console.capture() as json_out:
            await show_stats(services, "STATS@example.org", as_json=True)
    text = tables_out.get()
    for title in ("Statistics of Stats@Example.org", "Messages per day (UTC)", "Messages by role", "Top tools"):
        assert title in text
    assert "calculator" in text
    data = json.loads(json_out.get())
    # Registering also created the welcome conversation (one assistant message; see docs/consistency.md).
    assert (data["conversations"], data["messages"], data["pinned"]) == (2, 3, 1)
    assert data["messages_by_role"] == {"assistant": 2, "user": 1}
    assert data["top_tools"] == [{"tool_name": "calculator", "uses": 1}]
    assert sum(data["messages_per_day"].values()) == 3


def test_ctrl_c_is_one_line_and_exit_130(capsys: pytest.CaptureFixture[str]) -> None:
    # SIGINT in the middle of a command: asyncio.run re-raises KeyboardInterrupt once the task is cancelled.
    async def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(typer.Exit) as raised:
        run(interrupted)
    assert raised.value.exit_code == 130
    err = capsys.readouterr().err
    assert err.startswith("error: interrupted")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("option", "url", "expected"),
    [
        ("--postgres-url", "foo://bar", "invalid setting: postgres_url: expected a postgresql://"),
        ("--postgres-url", "postgresql://gaia@127.0.0.1:1/g?sslmode=bogus", "invalid setting: postgres_url: sslmode"),
        ("--mongo-url", "foo://bar", "invalid setting: mongo_url: expected a mongodb://"),
        ("--mongo-url", "mongodb://127.0.0.1:1/?noSuchOption=1", "invalid setting: mongo_url: invalid MongoDB URL"),
    ],
    ids=["pg-scheme", "pg-sslmode", "mongo-scheme", "mongo-option"],
)
def test_a_malformed_url_exits_2_before_any_work(runner: CliRunner, option: str, url: str, expected: str) -> None:
    # The other database is a good URL on port 1: had migrate started, it would have failed to connect (exit 1).
    other = {"--postgres-url": "postgresql://gaia@127.0.0.1:1/gaia", "--mongo-url": "mongodb://127.0.0.1:1/"}
    good = "--mongo-url" if option == "--postgres-url" else "--postgres-url"
    result = runner.invoke(app, ["migrate", option, url, good, other[good]])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {expected}"), result.output
    assert "upgrading" not in result.output
    assert "Traceback" not in result.output


def test_driver_errors_are_described_without_reply_documents_or_topology() -> None:
    from pymongo.errors import OperationFailure, ServerSelectionTimeoutError

    reply = {"ok": 0.0, "errmsg": "Authentication failed.", "code": 18, "codeName": "AuthenticationFailed",
             "$clusterTime": {"signature": {"hash": b"\x00" * 20}}}  # fmt: skip
    assert describe_error(OperationFailure("Authentication failed.", 18, reply)) == (
        "mongodb error: Authentication failed. (AuthenticationFailed)"
    )
    timeout = ServerSelectionTimeoutError(
        "127.0.0.1:1: [Errno 111] Connection refused (configured timeouts: connectTimeoutMS: 500.0ms), "
        "Timeout: 0.5s, Topology Description: <TopologyDescription id: 1, servers: [<ServerDescription ...>]>"
    )
    line = describe_error(timeout)
    assert line.startswith("mongodb unavailable: 127.0.0.1:1: [Errno 111] Connection refused")
    assert "Topology" not in line
    assert "Timeout:" not in line
    assert describe_error(RuntimeError("boom")) == "RuntimeError: boom"


def test_demo_with_mongodb_down_fails_before_any_work_in_one_line() -> None:
    """Both stores are reached before the scenario starts: no table, no handler retries, one named line."""
    result = subprocess.run(
        [sys.executable, "-m", "gaia_adapters.cli", "demo", "--mongo-url",
         "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300"],
        capture_output=True, text=True, env=_clean_env(), timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.splitlines() == [result.stderr.strip()], result.stderr
    assert result.stderr.startswith("error: mongodb unavailable: ServerSelectionTimeoutError: 127.0.0.1:1: ")
    assert "Topology" not in result.stderr
    assert "configured timeouts" not in result.stderr
    assert "Users" not in result.stdout  # the scenario never started
    assert "Traceback" not in result.stderr


def test_mongodb_connection_errors_name_the_server_and_the_reason() -> None:
    from pymongo.errors import ServerSelectionTimeoutError

    from gaia_adapters.mongo.commands import translate

    error = translate(ServerSelectionTimeoutError(
        "db.internal:27017: [Errno 111] Connection refused (configured timeouts: connectTimeoutMS: 500.0ms), "
        "Timeout: 0.5s, Topology Description: <TopologyDescription id: 1, servers: [<ServerDescription ...>]>"
    ))  # fmt: skip
    assert str(error) == (
        "mongodb unavailable: ServerSelectionTimeoutError: db.internal:27017: [Errno 111] Connection refused"
    )


def test_options_in_a_mongodb_url_win_over_the_settings() -> None:
    from gaia_adapters.mongo.client import open_sync_client
    from gaia_adapters.settings import GaiaSettings

    settings = GaiaSettings(mongo_url="mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500&maxPoolSize=7")
    client = open_sync_client(settings)
    try:
        assert client.options.server_selection_timeout == 0.5
        assert client.options.pool_options.max_pool_size == 7
        assert client.options.pool_options.min_pool_size == settings.mongo_min_pool_size  # not in the URL
        assert client.codec_options.tz_aware is True  # codec rules never come from the URL
    finally:
        client.close()


def test_other_mongodb_driver_errors_keep_their_message() -> None:
    from pymongo.errors import InvalidOperation

    from gaia_adapters.mongo.commands import translate

    error = translate(InvalidOperation("Cannot use AsyncMongoClient after close"))
    assert str(error) == "mongodb unavailable: InvalidOperation: Cannot use AsyncMongoClient after close"


def test_ctrl_c_while_the_cli_is_still_loading_is_one_line_and_exit_130() -> None:
    """SIGINT arrives during the imports (they take most of a second): simulated by an import that raises it."""
    script = (
        "import builtins, sys\n"
        "real_import = builtins.__import__\n"
        "def interrupted(name, *args, **kwargs):\n"
        "    if name.startswith('sqlalchemy'):\n"
        "        raise KeyboardInterrupt\n"
        "    return real_import(name, *args, **kwargs)\n"
        "builtins.__import__ = interrupted\n"
        "sys.argv = ['gaia-db', 'demo']\n"
        "from gaia_adapters.entry import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=_clean_env(), timeout=60, check=False
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip() == (
        "error: interrupted (Ctrl-C); running the command again is safe (whatever it had committed stays)"
    )
    assert "Traceback" not in done.stderr
