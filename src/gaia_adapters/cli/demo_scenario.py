"""The demo's story, told through the application services only (users, conversations, goals).

Three people sign up and onboard, chat with an assistant that calls tools, pin and edit messages,
organise and search their conversations, and one of them works through a goal roadmap (a DAG)
node by node. The same story runs on the in-memory backend and on the real databases; emails
carry a per-run tag so that it can run twice against the same database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from rich.console import Console

from gaia_adapters.cli import tables
from gaia_adapters.container import Services
from gaia_domain.conversations import Source, ToolData
from gaia_domain.errors import InvalidInput
from gaia_domain.events import Event
from gaia_domain.goals import Goal, Roadmap, RoadmapEdge, RoadmapNode
from gaia_domain.services import NewMessage
from gaia_domain.users import OnboardingPhase, Preferences, User


@dataclass
class DemoResult:
    users: list[User] = field(default_factory=list)
    conversations: int = 0
    messages: int = 0
    goal_progress: list[int] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise RuntimeError(f"demo: expected {what}")


def _say(text: str) -> NewMessage:
    return NewMessage(role="user", content=text)


def _answer(text: str, *tools: ToolData) -> NewMessage:
    return NewMessage(role="assistant", content=text, tool_data=tools)


def half_marathon_roadmap() -> Roadmap:
    nodes = (
        RoadmapNode("shoes", "Buy running shoes", estimated_time="1 day", resources=("https://www.runnersworld.com",)),
        RoadmapNode("base", "Build a base: 3 easy runs a week", estimated_time="4 weeks"),
        RoadmapNode("tempo", "Add a weekly tempo run", estimated_time="3 weeks"),
        RoadmapNode("long", "Long run of 15 km", estimated_time="3 weeks"),
        RoadmapNode("taper", "Taper", details="Cut volume by 40%", estimated_time="1 week"),
        RoadmapNode("race", "Run the half marathon", estimated_time="1 day"),
    )
    edges = (
        RoadmapEdge("shoes", "base"),
        RoadmapEdge("base", "tempo"),
        RoadmapEdge("base", "long"),
        RoadmapEdge("tempo", "taper"),
        RoadmapEdge("long", "taper"),
        RoadmapEdge("taper", "race"),
    )
    return Roadmap(nodes=nodes, edges=edges)


async def run_scenario(
    app: Services,
    console: Console,
    *,
    tag: str,
    later: Callable[[timedelta], None],
    events: Counter[str],
) -> DemoResult:
    """Play the story; ``later(delta)`` lets time pass between scenes (a no-op on the real clock)."""
    result = DemoResult(events=events)

    # --- people sign up and onboard ----------------------------------------------------------------------------
    ada = await app.users.register(email=f"Ada.{tag}@Example.org", name="Ada Lovelace", timezone="Europe/London")
    grace = await app.users.register(email=f"grace.{tag}@example.org", name="Grace Hopper")
    linus = await app.users.register(email=f"linus.{tag}@example.org", name="Linus", timezone="Europe/Helsinki")
    ada = await app.users.update_onboarding(ada.id, phase=OnboardingPhase.PERSONALIZATION_PENDING)
    ada = await app.users.update_onboarding(
        ada.id,
        phase=OnboardingPhase.COMPLETED,
        preferences=Preferences(
            profession="Mathematician",
            response_style="concise",
            custom_instructions="Show the numbers behind every answer.",
        ),
    )
    grace = await app.users.update_profile(
        grace.id, timezone="America/New_York", picture_url="https://example.org/grace.png"
    )
    grace = await app.users.update_onboarding(
        grace.id, phase=OnboardingPhase.GETTING_STARTED, preferences=Preferences(profession="Rear admiral")
    )
    # The email lookup ignores letter case and surrounding spaces.
    found = await app.users.get_by_email(f"  ada.{tag}@example.ORG ")
    _expect(found.id == ada.id, "the email lookup ignores letter case")
    result.users = [ada, grace, linus]
    console.print(tables.users_table(result.users))

    # --- Monday: Ada plans a trip with a tool-using assistant --------------------------------------------------
    trip = await app.conversations.start(
        ada.id,
        description="Weekend in Lisbon",
        source=Source.WEB,
        messages=[_say("What's the weather in Lisbon this weekend?")],
    )
    later(timedelta(seconds=30))
    weather = ToolData(
        "weather",
        {"city": "Lisbon", "days": [{"day": "Sat", "max_c": 21, "rain_mm": 0}, {"day": "Sun", "max_c": 19}]},
        "search",
    )
    sent = await app.conversations.send_messages(
        ada.id,
        trip.id,
        [_answer("Sunny on Saturday (21 °C), a little cooler on Sunday (19 °C).", weather)],
    )
    forecast_id = sent[0].id
    later(timedelta(minutes=2))
    flights = ToolData(
        "flight_search",
        {
            "from": "LHR",
            "to": "LIS",
            "offers": [{"carrier": "TP", "price_eur": 142.5}, {"carrier": "BA", "price_eur": 171}],
        },
        "travel",
    )
    sent = await app.conversations.send_messages(
        ada.id,
        trip.id,
        [
            _say("Find me a flight from London on Friday evening."),
            NewMessage(role="tool", content='{"offers": 2}', tool_data=(flights,)),
            _answer("Two offers: TAP at €142.50 and BA at €171. TAP lands at 21:05.", flights),
        ],
    )
    await app.conversations.pin_message(ada.id, trip.id, sent[-1].id)
    await app.conversations.pin_message(ada.id, trip.id, forecast_id)

    later(timedelta(hours=3))
    report = await app.conversations.start(
        ada.id,
        description="Quaterly report",  # typo fixed by the rename below
        source=Source.DESKTOP,
        messages=[_say("Summarise the Q1 numbers in report.pdf")],
    )
    reader = ToolData("document_reader", {"file": "report.pdf", "pages": 12}, "files")
    sent = await app.conversations.send_messages(
        ada.id, report.id, [_answer("Revenue grew 12% to £4.2m; costs were flat.", reader)]
    )
    await app.conversations.edit_message(ada.id, report.id, sent[0].id, "Revenue grew 12% to £4.2m; costs fell 1%.")
    await app.conversations.rename(ada.id, report.id, "Quarterly report")
    await app.conversations.star(ada.id, report.id)

    # --- Tuesday: a background briefing and a chat from Telegram ------------------------------------------------
    later(timedelta(days=1))
    briefing = await app.conversations.start(
        ada.id,
        description="Daily briefing",
        source=Source.BACKGROUND,
        is_system_generated=True,
        system_purpose="daily_briefing",
        messages=[
            NewMessage(role="system", content="Compose the morning briefing."),
            _answer(
                "3 meetings today; the Lisbon flight price dropped to €139.",
                ToolData("calendar", {"events": 3}, "productivity"),
                ToolData("flight_search", {"to": "LIS", "best_price_eur": 139}, "travel"),
            ),
        ],
    )
    await app.conversations.mark_read(ada.id, briefing.id, read=False)  # background work arrives unread
    later(timedelta(minutes=45))
    await app.conversations.mark_read(ada.id, briefing.id)
    groceries = await app.conversations.start(
        ada.id,
        description="Shopping list",
        source=Source.TELEGRAM,
        messages=[_say("Add oat milk, eggs and pastel de nata ingredients to my list")],
    )
    await app.conversations.send_messages(
        ada.id,
        groceries.id,
        [_answer("Added 3 items.", ToolData("todo_list", {"added": ["oat milk", "eggs", "puff pastry"]}, "tasks"))],
    )

    # Grace and Linus chat too (their data never shows in Ada's lists, pins or searches).
    grace_chat = await app.conversations.start(
        grace.id, description="COBOL in Lisbon?", messages=[_say("Any COBOL meetups in Lisbon?")]
    )
    await app.conversations.pin_message(grace.id, grace_chat.id, grace_chat.messages[0].id)
    for topic in ("Kernel mailing list digest", "Git internals"):
        await app.conversations.start(linus.id, description=topic, messages=[_say(f"Tell me about {topic}")])

    page = await app.conversations.list(ada.id, limit=3)
    console.print(tables.conversations_table("Ada's conversations (newest activity first, page 1 of 2)", page))
    _expect(page.next_cursor is not None, "a second page of conversations")
    rest = await app.conversations.list(ada.id, limit=3, cursor=page.next_cursor)
    console.print(tables.conversations_table("Ada's conversations (page 2)", rest))
    starred = await app.conversations.list(ada.id, starred=True)
    console.print(f"Starred: {', '.join(s.description for s in starred)}")

    latest = await app.conversations.get(ada.id, trip.id, last_messages=3)
    console.print(
        tables.messages_table(
            f"{latest.description!r}: last {len(latest.messages)} of {latest.message_count} messages",
            latest.messages,
        )
    )
    console.print(tables.pinned_table(await app.conversations.pinned(ada.id)))
    hits = await app.conversations.search(ada.id, "LISBON")
    console.print(tables.search_table("LISBON", hits))
    no_hits = await app.conversations.search(ada.id, ".*")  # literal text, never a pattern
    console.print(f"Search '.*' finds {len(no_hits)} conversations: the text is data, not a regular expression.")

    # --- a goal roadmap, completed node by node ----------------------------------------------------------------
    goal = await app.goals.create(
        ada.id,
        title="Run a half marathon",
        description="Spring race in Lisbon",
        roadmap=half_marathon_roadmap(),
        conversation_id=trip.id,
    )
    steps: list[tuple[str, Goal]] = [("created", goal)]
    try:  # the domain rejects a roadmap whose edges form a cycle, and nothing changes
        cyclic = Roadmap(nodes=goal.roadmap.nodes, edges=(*goal.roadmap.edges, RoadmapEdge("race", "shoes")))
        await app.goals.edit(ada.id, goal.id, roadmap=cyclic)
    except InvalidInput as exc:
        stored = await app.goals.get(ada.id, goal.id)
        _expect(stored == goal, "a rejected edit leaves the stored goal unchanged")
        result.rejected.append(f"{exc.field}: {exc.reason}")
        console.print(
            f"Rejected a roadmap edit, stored goal unchanged (version {stored.version}): {exc.field}: {exc.reason}"
        )
    for node_id in ("shoes", "base", "tempo", "long", "taper", "race"):
        later(timedelta(days=1))
        goal = await app.goals.complete_node(ada.id, goal.id, node_id)
        steps.append((f"completed {goal.roadmap.node(node_id).label!r}", goal))
    result.goal_progress = [g.progress for _, g in steps]
    console.print(tables.goal_progress_table(goal.title, steps))

    # --- what it all adds up to ---------------------------------------------------------------------------------
    stats = await app.conversations.stats(ada.id)
    result.conversations, result.messages = stats.conversations, stats.messages
    for table in tables.stats_tables(f"Ada's statistics ({ada.email.value})", stats):
        console.print(table)

    # Deleting a user removes their goals in the same transaction; UserDeleted then removes their conversations.
    before = len(await app.conversations.list(linus.id))
    await app.users.delete(linus.id)
    after = len(await app.conversations.list(linus.id))
    console.print(f"Deleted {linus.name}: conversations {before} -> {after} (UserDeleted handler).")

    console.print(tables.events_table(events))
    return result


def event_counter(events: Counter[str]) -> Callable[[Event], Awaitable[None]]:
    async def record(event: Event) -> None:
        events[event.type_name] += 1

    return record
