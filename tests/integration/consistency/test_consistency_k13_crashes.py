"""K13 (dual writes): SIGKILL a real process at each point between the PostgreSQL commit and the MongoDB effect.

Each run is a forked process (see ``crash_worker.py``) that registers a user, completes a goal linked to a
conversation and deletes another user, with a SIGKILL armed for one event type at one point. Then the relay
runs (``gaia-db relay``'s own function), and every effect the process committed must have happened exactly
once; a second relay run must change nothing at all (outbox rows included).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from consistency_support import conversations_of
from pydantic import SecretStr

from gaia_adapters.cli.relay import run_relay
from gaia_adapters.relay.handlers import WELCOME_PURPOSE
from gaia_adapters.settings import GaiaSettings
from gaia_domain.conversations import Role
from gaia_domain.ids import ConversationId, GoalId, UserId
from gaia_domain.ports import ConversationStore

RUNS = 20
TARGETS = ("UserRegistered", "GoalCompleted", "UserDeleted")
LEASE_SECONDS = 0.1  # the killed process's claims run out quickly, so the relay can take them over
RELAY_POINTS = ("relay_in_handler", "relay_before_done")
HERE = Path(__file__).parent

Fetch = Callable[..., Awaitable[list[Any]]]

pytestmark = pytest.mark.integration


class CrashWorker:
    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "crash_worker.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=HERE,
        )

    def run(self, request: dict[str, str]) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"the crash worker died (exit {self.process.poll()})"
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.process.stdout.close()


@pytest.fixture(scope="module")
def settings(pg_url: str, mongo_settings: GaiaSettings) -> GaiaSettings:
    return mongo_settings.model_copy(update={"postgres_url": SecretStr(pg_url), "relay_backoff_base_seconds": 0.05})


@pytest.fixture
async def pg_read(pg_url: str, pg_clean: None) -> AsyncIterator[Fetch]:
    """Reads on one independent connection (not the pool under test), kept for the whole test."""
    conn = await asyncpg.connect(pg_url)

    async def fetch(query: str, *args: Any) -> list[Any]:
        return list(await conn.fetch(query, *args))

    try:
        yield fetch
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def crash_worker(settings: GaiaSettings) -> Iterator[CrashWorker]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAIA_")}
    env.update(
        GAIA_POSTGRES_URL=settings.postgres_url_value() or "",
        GAIA_MONGO_URL=settings.mongo_url_value() or "",
        GAIA_MONGO_DATABASE=settings.mongo_database,
        GAIA_MONGO_SERVER_SELECTION_TIMEOUT_MS="5000",
        GAIA_RELAY_LEASE_SECONDS=str(LEASE_SECONDS),
        PYTHONPATH=os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]),
    )
    worker = CrashWorker(env)
    try:
        yield worker
    finally:
        worker.close()


def progress_of(path: Path) -> dict[str, str]:
    merged: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        merged.update(json.loads(line))
    return merged


async def user_id_by_email(pg_fetch: Fetch, email: str) -> UserId | None:
    rows = await pg_fetch("SELECT id FROM users WHERE email_normalized = $1", email)
    return UserId.parse(str(rows[0][0])) if rows else None


async def state_of_run(store: ConversationStore, pg_fetch: Fetch, tag: str, ids: dict[str, str]) -> dict[str, Any]:
    """Everything the run can have touched: its users, goals, conversations, and the whole outbox."""
    user_ids = [UserId.parse(ids[k]) for k in ("user", "victim") if k in ids]
    found = await user_id_by_email(pg_fetch, f"u-{tag}@example.org")
    if found is not None and found not in user_ids:
        user_ids.append(found)
    return {
        "conversations": {str(u): await conversations_of(store, u) for u in user_ids},
        "users": await pg_fetch(
            "SELECT id, version FROM users WHERE email LIKE $1 ORDER BY id", f"%-{tag}@example.org"
        ),
        "goals": await pg_fetch(
            "SELECT id, completed_at, version FROM goals WHERE user_id = ANY($1::uuid[]) ORDER BY id",
            [u.value for u in user_ids],
        ),
        "outbox": await pg_fetch(
            "SELECT event_id, status, attempts, last_error, available_at, dispatched_at FROM outbox ORDER BY seq"
        ),
    }


async def check_effects(
    store: ConversationStore, pg_fetch: Fetch, target: str, tag: str, ids: dict[str, str]
) -> dict[str, int]:
    """Every effect committed before the crash happened exactly once; returns what was checked."""
    user = await user_id_by_email(pg_fetch, f"u-{tag}@example.org")
    assert user is not None, "the first registration was committed before any kill point"
    conversations = await conversations_of(store, user)
    welcomes = [c for c in conversations if c.system_purpose == WELCOME_PURPOSE]
    assert len(welcomes) == 1, f"exactly one welcome conversation, found {len(welcomes)}"
    assert len(welcomes[0].messages) == 1
    checked = {"welcome": 1}
    if target in ("GoalCompleted", "UserDeleted"):
        chat = next(c for c in conversations if c.id == ConversationId.parse(ids["chat"]))
        system = [m for m in chat.messages if m.role is Role.SYSTEM]
        assert len(system) == 1, f"exactly one goal-completed message, found {len(system)}"
        assert [m.role for m in chat.messages] == [Role.USER, Role.SYSTEM]
        checked["goal_message"] = 1
    if target == "UserDeleted":
        victim = UserId.parse(ids["victim"])
        assert len(await store.list(victim)) == 0, "the deleted user's conversations are gone"
        assert not await pg_fetch("SELECT 1 FROM users WHERE id = $1", victim.value)
        goal = GoalId.parse(ids["victim_goal"])
        assert not await pg_fetch("SELECT 1 FROM goals WHERE user_id = $1 OR id = $2", victim.value, goal.value)
        checked["deleted_user"] = 1
    backlog = await pg_fetch("SELECT status, count(*) FROM outbox WHERE status <> 'dispatched' GROUP BY status")
    assert backlog == [], f"nothing left pending or dead: {backlog}"
    return checked


async def crash_runs(
    point: str,
    crash_worker: CrashWorker,
    settings: GaiaSettings,
    store: ConversationStore,
    pg_fetch: Fetch,
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    attempts_seen: list[int] = []
    timings: list[tuple[float, ...]] = []
    for run in range(RUNS):
        target = TARGETS[run % len(TARGETS)]
        variant = "before" if run % 2 == 0 else "after"
        point_of_run = point if point != "relay" else RELAY_POINTS[(run // 2) % 2]  # both variants of each
        tag = f"{point}-{run}-{os.urandom(3).hex()}"
        progress = tmp_path / f"{tag}.jsonl"
        request = {"target": target, "point": point_of_run, "variant": variant, "tag": tag, "progress": str(progress)}
        t0 = time.monotonic()
        answer = await asyncio.to_thread(crash_worker.run, request)
        t1 = time.monotonic()
        ids = progress_of(progress)
        assert answer["signal"] == signal.SIGKILL, f"run {run} ({target}) was not killed: {answer}, got to {ids}"
        # Killed during the scenario, or (relay points) after it, in the relay.
        assert ids.get("step") == "end" if point == "relay" else ids.get("step") not in ("end", "relayed")
        checked_target = "UserDeleted" if point == "relay" else target  # relay_*: every step committed

        assert await run_relay(settings, wait_seconds=5.0) == 0
        t2 = time.monotonic()
        await check_effects(store, pg_fetch, checked_target, tag, ids)
        t3 = time.monotonic()
        crashed = await pg_fetch("SELECT attempts FROM outbox WHERE event_type = $1 ORDER BY seq DESC LIMIT 1", target)
        attempts_seen.append(crashed[0][0])

        before = await state_of_run(store, pg_fetch, tag, ids)
        assert await run_relay(settings) == 0
        assert await state_of_run(store, pg_fetch, tag, ids) == before, "a second relay run changed something"
        timings.append((t1 - t0, t2 - t1, t3 - t2, time.monotonic() - t3))
    # The killed claim counts as attempt 1 (none when the kill came before any claim); the redelivery is next.
    # A killed relay may already have redelivered within its own run: its 0.1 s lease is shorter than its batch.
    if point == "after_commit":
        assert attempts_seen == [1] * RUNS
    elif point == "relay":
        assert min(attempts_seen) >= 2
    else:
        assert attempts_seen == [2] * RUNS
    print(
        f"K13 {point}: {RUNS} runs killed and recovered in {time.monotonic() - started:.1f} s; attempts {attempts_seen}"
    )
    medians = [round(statistics.median(column), 2) for column in zip(*timings, strict=True)]
    print(f"  median seconds per run: crash {medians[0]}, relay {medians[1]}, check {medians[2]}, replay {medians[3]}")


async def test_k13_kill_after_commit_before_dispatch(
    crash_worker: CrashWorker,
    settings: GaiaSettings,
    conversation_store: ConversationStore,
    pg_read: Fetch,
    tmp_path: Path,
) -> None:
    await crash_runs("after_commit", crash_worker, settings, conversation_store, pg_read, tmp_path)


async def test_k13_kill_inside_a_handler(
    crash_worker: CrashWorker,
    settings: GaiaSettings,
    conversation_store: ConversationStore,
    pg_read: Fetch,
    tmp_path: Path,
) -> None:
    await crash_runs("in_handler", crash_worker, settings, conversation_store, pg_read, tmp_path)


async def test_k13_kill_after_the_handler_before_the_event_is_marked_done(
    crash_worker: CrashWorker,
    settings: GaiaSettings,
    conversation_store: ConversationStore,
    pg_read: Fetch,
    tmp_path: Path,
) -> None:
    await crash_runs("before_done", crash_worker, settings, conversation_store, pg_read, tmp_path)


async def test_k13_kill_the_relay_inside_a_handler_or_before_it_marks_its_batch_done(
    crash_worker: CrashWorker,
    settings: GaiaSettings,
    conversation_store: ConversationStore,
    pg_read: Fetch,
    tmp_path: Path,
) -> None:
    """The relay's own crash windows: a relay killed mid-batch is replaced by the next one, nothing doubles."""
    await crash_runs("relay", crash_worker, settings, conversation_store, pg_read, tmp_path)
