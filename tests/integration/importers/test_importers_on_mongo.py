"""The real exports imported into MongoDB (the MongoDB-wire test server): counts, idempotency, exact text.

The expected counts are the independent reading of each file that tests/unit/importers/test_import_real_files.py
computes (json.load, walk back from the current node) and pins.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gaia_adapters.container import Services, build_container, running
from gaia_adapters.importers import ImportOptions, ensure_user, import_export
from gaia_adapters.settings import GaiaSettings
from gaia_domain.clock import TickingClock
from gaia_domain.conversations import Conversation
from gaia_domain.ids import UserId

pytestmark = pytest.mark.integration

REPO_ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
# file -> (conversations, visible messages, conversations with --all-branches, their messages)
REAL_COUNTS = {
    "chatgpt-LibreChat-export.json": (2, 19, 2, 19),
    "chatgpt-LibreChat-tree.json": (1, 6, 3, 18),
    "claude-claude-chat-viewer.json": (1, 4, 1, 4),
}


def shared_file(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.is_file():
        message = f"real export {path} is missing"
        if os.environ.get("CI", "").lower() == "true" or os.environ.get("GAIA_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


async def _imported(app: Services, owner: UserId) -> list[Conversation]:
    page = await app.conversations.list(owner, limit=200)
    return [await app.conversations.get(owner, s.id) for s in page.items if not s.is_system_generated]


@pytest.mark.parametrize("name", sorted(REAL_COUNTS))
async def test_real_export_into_mongo_with_independent_counts_then_unchanged(
    mongo_settings: GaiaSettings, sync_mongo_client: object, name: str
) -> None:
    path = shared_file(name)
    conversations, messages, branch_conversations, branch_messages = REAL_COUNTS[name]
    clock = TickingClock()
    container = build_container(mongo_settings, clock=clock)
    async with running(container) as app:
        user, _ = await ensure_user(app.users, f"mongo-{name.split('.')[0]}@example.org")
        first = await import_export(path, user_id=user.id, conversations=app.conversations, clock=clock)
        assert (first.error, first.store_error, first.skipped) == (None, None, [])
        assert (first.imported, first.messages_imported, first.exit_code) == (conversations, messages, 0)
        stored = await _imported(app, user.id)
        assert (len(stored), sum(len(c.messages) for c in stored)) == (conversations, messages)

        second = await import_export(path, user_id=user.id, conversations=app.conversations, clock=clock)
        assert (second.imported, second.unchanged, second.exit_code) == (0, conversations, 0)

        branches = await import_export(
            path,
            user_id=user.id,
            conversations=app.conversations,
            clock=clock,
            options=ImportOptions(all_branches=True, batch_conversations=1),
        )
        assert (branches.imported + branches.unchanged, branches.messages_read) == (
            branch_conversations,
            branch_messages,
        )
        stored = await _imported(app, user.id)
        assert (len(stored), sum(len(c.messages) for c in stored)) == (branch_conversations, branch_messages)


async def test_text_and_times_round_trip_exactly_through_mongo(
    mongo_settings: GaiaSettings, sync_mongo_client: object
) -> None:
    clock = TickingClock()
    path = shared_file("chatgpt-LibreChat-export.json")
    async with running(build_container(clock=clock)) as memory:
        memory_user, _ = await ensure_user(memory.users, "memory-twin@example.org")
        await import_export(path, user_id=memory_user.id, conversations=memory.conversations, clock=clock)
        expected = sorted(
            (m.content, m.created_at, m.role, tuple(t.tool_name for t in m.tool_data))
            for c in await _imported(memory, memory_user.id)
            for m in c.messages
        )
    async with running(build_container(mongo_settings, clock=clock)) as app:
        user, _ = await ensure_user(app.users, "mongo-text@example.org")
        await import_export(path, user_id=user.id, conversations=app.conversations, clock=clock)
        actual = sorted(
            (m.content, m.created_at, m.role, tuple(t.tool_name for t in m.tool_data))
            for c in await _imported(app, user.id)
            for m in c.messages
        )
    assert actual == expected
    assert any("\u2060" in content for content, *_ in actual)


def test_cli_import_into_mongo_exits_0_then_1_for_a_broken_file(
    mongo_settings: GaiaSettings, pg_url: str, pg_clean: None, tmp_path: Path
) -> None:
    # The command takes both databases or neither (users in memory would make every run a new owner).
    url = mongo_settings.mongo_url_value()
    assert url is not None
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "160", "GAIA_MONGO_DATABASE": mongo_settings.mongo_database}
    command = [
        sys.executable,
        "-m",
        "gaia_adapters.cli",
        "import",
        "--user",
        "cli-mongo@example.org",
        "--mongo-url",
        url,
        "--postgres-url",
        pg_url,
    ]
    done = subprocess.run(
        [*command, str(shared_file("chatgpt-LibreChat-export.json"))],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "│ imported                     │             2 │       19 │" in done.stdout
    broken = tmp_path / "broken.json"
    broken.write_text('[{"title": "Empty", "conversation_id": "x", "mapping": {}}]', encoding="utf-8")
    done = subprocess.run([*command, str(broken)], capture_output=True, text=True, timeout=120, check=False, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Empty" in done.stdout
