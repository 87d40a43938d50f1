"""``gaia-db import``: exit codes, the summary, the skipped table, idempotency through the command's code."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from import_helpers import EMAIL, gpt_chain, shared_file, write_json
from rich.console import Console
from typer.testing import CliRunner

from gaia_adapters.cli import app
from gaia_adapters.cli.import_command import RichImportProgress, run_import
from gaia_adapters.container import build_container, running
from gaia_adapters.importers import ImportOptions, ensure_user, import_export
from gaia_adapters.importers.synthetic import write_chatgpt_export
from gaia_domain.clock import TickingClock
from gaia_domain.errors import NotFound


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in ("GAIA_POSTGRES_URL", "GAIA_MONGO_URL", "GAIA_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def test_real_export_exits_0_with_the_summary(runner: CliRunner) -> None:
    path = shared_file("chatgpt-LibreChat-export.json")
    result = runner.invoke(app, ["import", str(path), "--user", EMAIL])
    assert result.exit_code == 0, result.output
    assert "Import of chatgpt-LibreChat-export.json (chatgpt" in result.output
    assert "│ imported                     │             2 │       19 │" in result.output
    assert f"user {EMAIL} (created" in result.output


def test_all_branches_flag_imports_the_branches(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["import", str(shared_file("chatgpt-LibreChat-tree.json")), "--user", EMAIL, "--all-branches"]
    )
    assert result.exit_code == 0, result.output
    assert "│ imported                     │             3 │       18 │" in result.output


def test_one_broken_conversation_exits_1_and_lists_it(runner: CliRunner, tmp_path: Path) -> None:
    broken = {"title": "Nothing in here", "conversation_id": "x", "mapping": {}}
    path = write_json(tmp_path, [gpt_chain("a", [("user", "hi")]), broken, gpt_chain("b", [("user", "yo")])])
    result = runner.invoke(app, ["import", str(path), "--user", EMAIL])
    assert result.exit_code == 1, result.output
    assert "Skipped conversations" in result.output
    assert "Nothing in here" in result.output
    assert "no messages (mapping is missing or empty)" in result.output
    assert "│ imported                     │             2 │        2 │" in result.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b'[{"title": "cut', "truncated?"), (b"not json at all", "is not a chat export")],
    ids=["truncated", "not-json"],
)
def test_unusable_file_exits_2_with_a_clear_error(
    runner: CliRunner, tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(content)
    result = runner.invoke(app, ["import", str(path), "--user", EMAIL], env={"COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    assert "error: unusable file:" in result.stderr
    assert expected in result.stderr


def test_forced_format_and_bad_email(runner: CliRunner, tmp_path: Path) -> None:
    path = write_json(tmp_path, [gpt_chain("a", [("user", "hi")])])
    forced = runner.invoke(app, ["import", str(path), "--user", EMAIL, "--format", "claude"])
    assert forced.exit_code == 1, forced.output
    bad_email = runner.invoke(app, ["import", str(path), "--user", "not-an-email"])
    assert bad_email.exit_code == 2
    assert "invalid input: email" in bad_email.output


async def test_second_import_on_the_same_backend_reports_everything_unchanged() -> None:
    path = shared_file("chatgpt-LibreChat-export.json")
    container = build_container(clock=TickingClock())
    out = Console(file=io.StringIO(), width=120)
    async with running(container) as services:
        first = await run_import(services, container.clock(), path, EMAIL, ImportOptions(), out=out)
        second = await run_import(services, container.clock(), path, EMAIL, ImportOptions(), out=out)
    assert (first.imported, first.unchanged, first.exit_code) == (2, 0, 0)
    assert (second.imported, second.unchanged, second.exit_code) == (0, 2, 0)


def test_the_installed_command_runs_as_a_process(tmp_path: Path) -> None:
    path = write_json(tmp_path, [gpt_chain("a", [("user", "héllo")])])
    done = subprocess.run(
        [sys.executable, "-m", "gaia_adapters.cli", "import", str(path), "--user", EMAIL, "--no-progress"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "140"},
    )
    assert done.returncode == 0, done.stderr
    assert "│ imported                     │             1 │        1 │" in done.stdout


def test_unreachable_database_exits_3_and_says_a_rerun_finishes(tmp_path: Path) -> None:
    # A process of its own: a driver's half-open socket must not leak into this test session.
    path = write_json(tmp_path, [gpt_chain("a", [("user", "hi")])])
    env = {
        "PATH": "/usr/bin:/bin",
        "COLUMNS": "200",
        "GAIA_MONGO_SERVER_SELECTION_TIMEOUT_MS": "200",
        "GAIA_MONGO_CONNECT_TIMEOUT_MS": "200",
    }
    # The command refuses MongoDB without PostgreSQL (test_half_real_backends_...): its work is called directly,
    # with the users in memory, so that MongoDB fails during the import as it would with both servers given.
    script = (
        "import asyncio, sys\n"
        "from pathlib import Path\n"
        "from pydantic import SecretStr\n"
        "from gaia_adapters.cli.import_command import _import\n"
        "from gaia_adapters.importers import ImportOptions\n"
        "from gaia_adapters.settings import GaiaSettings\n"
        "settings = GaiaSettings(mongo_url=SecretStr('mongodb://127.0.0.1:1/'))\n"
        "work = _import(settings, Path(sys.argv[1]), sys.argv[2], ImportOptions(), show_progress=False)\n"
        "sys.exit(asyncio.run(work))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path), EMAIL],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "error: database failed: mongodb unavailable" in done.stderr
    assert "run the same command again" in done.stderr


async def test_progress_bar_shows_bytes_conversations_and_messages_per_second(tmp_path: Path) -> None:
    export = write_chatgpt_export(tmp_path / "progress.json", conversations=30, seed=5)
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=140)
    container = build_container(clock=TickingClock())
    async with running(container) as services:
        user, _ = await ensure_user(services.users, EMAIL)
        with RichImportProgress(terminal) as progress:
            report = await import_export(
                export.path,
                user_id=user.id,
                conversations=services.conversations,
                clock=container.clock(),
                progress=progress,
            )
    shown = screen.getvalue()
    assert report.imported == 30
    kilobytes = f"{export.bytes / 1000:.1f}"
    assert f"{kilobytes}/{kilobytes} kB" in shown  # the whole file read
    assert re.search(rf"30 conv [\d,]+/s · {export.visible_messages:,} msg [\d,]+/s", shown), shown


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read"),
        (b"", "is not a chat export"),
        (b"not json at all", "is not a chat export"),
        (b'[{"title": "cut', "truncated?"),
        (b'[{"mapping": {', "truncated?"),  # detected as ChatGPT, then cut
        (b'[{"mapping": {}, "create_time": 123456789012345678901234567890}]', "integer"),
        (b'[{"title": "no known keys", "messages": []}]', "unknown export format"),
    ],
    ids=["missing", "empty", "not-json", "truncated-first", "cut-after-detection", "huge-int", "unknown-format"],
)
async def test_an_unusable_file_registers_no_user(tmp_path: Path, content: bytes | None, expected: str) -> None:
    # Bad input must leave the stored data unchanged: no user (and so no welcome conversation) for a file
    # that cannot be imported at all. The whole first conversation is parsed before the user is registered.
    path = tmp_path / "export.json"
    if content is not None:
        path.write_bytes(content)
    container = build_container(clock=TickingClock())
    buffer = io.StringIO()
    async with running(container) as services:
        report = await run_import(
            services,
            container.clock(),
            path,
            "newcomer@example.org",
            ImportOptions(),
            out=Console(file=buffer, width=80),
            err=Console(file=buffer, width=80),
        )
        assert report.exit_code == 2
        assert expected in (report.error or "")
        with pytest.raises(NotFound):
            await services.users.get_by_email("newcomer@example.org")
    output = buffer.getvalue()
    assert "created" not in output
    error_lines = [line for line in output.splitlines() if line.startswith("error: unusable file:")]
    assert len(error_lines) == 1, output  # one line, even at 80 columns
    assert expected in error_lines[0]


def test_control_characters_from_the_export_never_reach_the_terminal(runner: CliRunner, tmp_path: Path) -> None:
    # A hostile title with escape sequences (retitle the terminal, clear the screen) is shown escaped.
    broken = {"title": "evil \x1b]0;pwned\x07 \x1b[2J title", "conversation_id": "x", "mapping": {}}
    path = write_json(tmp_path, [broken])
    result = runner.invoke(app, ["import", str(path), "--user", EMAIL], env={"COLUMNS": "300"})
    assert result.exit_code == 1, result.output
    assert "\x1b" not in result.output
    assert "\x07" not in result.output
    assert "evil \\x1b]0;pwned\\x07 \\x1b[2J title" in result.output


@pytest.mark.parametrize(
    "option",
    [["--mongo-url", "mongodb://127.0.0.1:1/"], ["--postgres-url", "postgresql://gaia@127.0.0.1:1/gaia"]],
    ids=["mongo-only", "postgres-only"],
)
def test_half_real_backends_are_refused_before_anything_is_written(
    runner: CliRunner, tmp_path: Path, option: list[str]
) -> None:
    # Users in memory + conversations in MongoDB: every run would import the file again under a new, vanishing
    # owner id (duplicates). Users in PostgreSQL + conversations in memory: a user is kept, the import is not.
    path = write_json(tmp_path, [gpt_chain("a", [("user", "hi")])])
    result = runner.invoke(app, ["import", str(path), "--user", EMAIL, *option], env={"COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    assert "needs both --postgres-url and --mongo-url" in result.output
    assert "created" not in result.output
