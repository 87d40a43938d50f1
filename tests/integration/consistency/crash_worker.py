"""A fork server for the K13 crash tests: imports everything once, then forks one child per scenario.

Protocol: one JSON request per stdin line ``{"target", "point", "variant", "tag", "progress"}``; the child runs
the scenario against the real databases (settings from the ``GAIA_`` environment) with a SIGKILL armed at
``point`` for events of type ``target``, and writes its progress (ids) to the ``progress`` file as it goes. The
worker answers one JSON line per request: ``{"signal": n | null, "exit": n | null}``.

Forking after the imports (and before any event loop, thread, client or connection exists) makes each crash
run cost milliseconds instead of a fresh interpreter's second or two of imports.

Kill points (the production code has no hooks; the child wraps the real functions):

* ``after_commit``: the services' call to the dispatcher, i.e. after the PostgreSQL COMMIT, before any dispatch;
* ``in_handler``: inside the target's handler, right before (variant ``before``) or right after (``after``) its
  MongoDB write;
* ``before_done``: after the handlers succeeded, when the dispatcher is about to mark the event done;
* ``relay_in_handler`` / ``relay_before_done``: the same two points, but in a relay: the process commits everything
  without dispatching (as if each dispatch had been lost) and then runs ``gaia-db relay``'s function, which is
  killed in the target's handler or when it is about to mark its batch done.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from gaia_adapters.cli.relay import run_relay
from gaia_adapters.container import build_container, running
from gaia_adapters.mongo.conversation_store import MongoConversationStore
from gaia_adapters.postgres.outbox_relay import PostgresOutboxRelayStore
from gaia_adapters.relay.dispatcher import OutboxDispatcher
from gaia_adapters.settings import GaiaSettings
from gaia_domain.conversations import Role
from gaia_domain.events import Event
from gaia_domain.goals import Roadmap, RoadmapNode
from gaia_domain.ids import EventId
from gaia_domain.services import NewMessage


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _is_handler_write(target: str) -> tuple[str, Callable[[Sequence[Any]], bool]]:
    """The store method the target's handler writes with, and how to tell its call from the scenario's own."""
    if target == "UserRegistered":
        return "add", lambda args: getattr(args[0], "system_purpose", None) == "welcome"
    if target == "GoalCompleted":
        return "append_messages", lambda args: any(m.role is Role.SYSTEM for m in args[2])
    if target == "UserDeleted":
        return "delete_all_for_user", lambda args: True
    raise ValueError(target)


def arm(target: str, point: str, variant: str) -> None:
    original_after_commit = OutboxDispatcher.after_commit
    target_ids: set[EventId] = set()
    relay_only = point.startswith("relay_")

    async def after_commit(self: OutboxDispatcher, events: Sequence[Event]) -> None:
        ours = {e.event_id for e in events if e.type_name == target}
        if ours and point == "after_commit":
            die()
        target_ids.update(ours)
        if not relay_only:  # relay_*: nothing dispatched in-process; the relay the child runs at the end delivers
            await original_after_commit(self, events)

    OutboxDispatcher.after_commit = after_commit  # type: ignore[method-assign]

    if point in ("in_handler", "relay_in_handler"):
        name, is_target = _is_handler_write(target)
        original = getattr(MongoConversationStore, name)

        async def write(self: MongoConversationStore, *args: Any) -> Any:
            hit = is_target(args)
            if hit and variant == "before":
                die()
            result = await original(self, *args)
            if hit:
                die()
            return result

        setattr(MongoConversationStore, name, write)

    if point in ("before_done", "relay_before_done"):
        original_mark_done = PostgresOutboxRelayStore.mark_done

        async def mark_done(self: PostgresOutboxRelayStore, event_ids: Sequence[EventId]) -> int:
            if target_ids.intersection(event_ids):
                die()
            return await original_mark_done(self, event_ids)

        PostgresOutboxRelayStore.mark_done = mark_done  # type: ignore[method-assign]


async def scenario(request: dict[str, Any], progress: TextIO) -> None:
    tag = request["tag"]

    started = time.monotonic()

    def note(**values: str) -> None:
        values[f"t_{values.get('step', '')}"] = f"{time.monotonic() - started:.3f}"
        progress.write(json.dumps(values) + "\n")
        progress.flush()  # in the kernel before any SIGKILL

    async with running(build_container(GaiaSettings())) as app:
        note(step="start")
        user = await app.users.register(email=f"u-{tag}@example.org", name=f"U {tag}")
        note(step="registered", user=str(user.id))
        chat = await app.conversations.start(
            user.id, description="Plans", messages=[NewMessage(role="user", content="let's plan")]
        )
        roadmap = Roadmap(nodes=(RoadmapNode(id="a", label="Do it"),))
        goal = await app.goals.create(user.id, title=f"Goal {tag}", roadmap=roadmap, conversation_id=chat.id)
        note(step="goal", chat=str(chat.id), goal=str(goal.id))
        await app.goals.complete_node(user.id, goal.id, "a")
        note(step="completed")
        victim = await app.users.register(email=f"v-{tag}@example.org", name=f"V {tag}")
        victim_chat = await app.conversations.start(victim.id, description="Soon gone")
        victim_goal = await app.goals.create(victim.id, title="Soon gone")
        note(step="victim", victim=str(victim.id), victim_chat=str(victim_chat.id), victim_goal=str(victim_goal.id))
        await app.users.delete(victim.id)
        note(step="end")
    if request["point"].startswith("relay_"):
        await run_relay(GaiaSettings())  # `gaia-db relay` in this process, killed at the armed point
        note(step="relayed")


def child(request: dict[str, Any]) -> int:
    sys.stdout = sys.stderr  # the worker's stdout is the protocol channel
    try:
        arm(request["target"], request["point"], request["variant"])
        with open(request["progress"], "a", encoding="utf-8") as progress:
            asyncio.run(scenario(request, progress))
    except BaseException:  # noqa: BLE001 - reported to the test through the exit code and stderr
        traceback.print_exc()
        return 3
    return 0


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            os._exit(child(request))
        _, status = os.waitpid(pid, 0)
        answer = {
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        }
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
