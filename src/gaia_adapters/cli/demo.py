"""``gaia-db demo``: the scenario of :mod:`demo_scenario` on the selected backends, printed as tables."""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import UTC, datetime, timedelta

import typer

from gaia_adapters.cli.common import MongoUrl, PostgresUrl, console, describe_backends, headline, run, settings_for
from gaia_adapters.cli.demo_scenario import event_counter, run_scenario
from gaia_adapters.container import build_container, check_reachable, resolve, running
from gaia_adapters.settings import GaiaSettings
from gaia_domain.clock import Clock, SystemClock, TickingClock
from gaia_domain.events import Event

# On the memory backend the story runs on a clock of its own (Monday 2 March 2026, 08:00 UTC, a few
# seconds per step), so its days and times read like a real week; the real databases use the system clock.
DEMO_START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def demo(ctx: typer.Context, postgres_url: PostgresUrl = None, mongo_url: MongoUrl = None) -> None:
    """Run a realistic scenario through the application services and print it as tables.

    In memory by default; with --postgres-url / --mongo-url on the real databases (run `gaia-db migrate` first).
    Every run uses fresh email addresses, so it can run again on the same database.
    """
    settings = settings_for(ctx, postgres_url, mongo_url)
    run(lambda: _demo(settings))


async def _demo(settings: GaiaSettings) -> int:
    tag = secrets.token_hex(3)
    clock: Clock
    if settings.backend == "memory":
        story_clock = TickingClock(DEMO_START, step=timedelta(seconds=5))
        clock = story_clock

        def later(delta: timedelta) -> None:
            story_clock.advance(delta)
    else:
        clock = SystemClock()

        def later(delta: timedelta) -> None:
            """Real time passes on its own."""

    headline("gaia-db demo", f"(run {tag}) — {describe_backends(settings)}")
    events: Counter[str] = Counter()
    container = build_container(settings, clock=clock)
    async with running(container) as app:
        await check_reachable(container)  # a server that is down: one line now, not a half-run scenario
        bus = await resolve(container.message_bus)
        bus.subscribe(Event, event_counter(events))
        result = await run_scenario(app, console, tag=tag, later=later, events=events)

    progress = " → ".join(f"{p}%" for p in result.goal_progress)
    headline(
        "Demo finished:",
        f"{len(result.users)} users, {result.conversations} conversations and {result.messages} messages "
        f"for {result.users[0].email.value}, goal progress {progress}.",
        style="bold green",
    )
    if settings.backend == "postgres+mongo":  # users and conversations outlive this process: stats can read them
        console.print(f"Next: gaia-db stats --user {result.users[0].email.value}  (same --postgres-url/--mongo-url)")
    return 0
