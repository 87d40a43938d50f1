"""Rich tables for domain objects, shared by the commands (read models in, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from rich.table import Table

from gaia_domain.conversations import ConversationStats, ConversationSummary, Message, PinnedMessage, SearchHit
from gaia_domain.goals import Goal
from gaia_domain.users import User


def when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value is not None else "-"


def short(text: str, width: int = 48) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def users_table(users: Iterable[User]) -> Table:
    table = Table(title="Users")
    for column in ("email", "name", "timezone", "onboarding", "profession", "version"):
        table.add_column(column)
    for user in users:
        prefs = user.onboarding.preferences
        table.add_row(
            user.email.value,
            user.name,
            user.timezone,
            user.onboarding.phase.value,
            prefs.profession or "-",
            str(user.version),
        )
    return table


def conversations_table(title: str, summaries: Iterable[ConversationSummary]) -> Table:
    table = Table(title=title)
    for column in ("description", "source", "starred", "unread", "messages", "last activity (UTC)"):
        table.add_column(column)
    for summary in summaries:
        table.add_row(
            short(summary.description, 32),
            summary.source.value,
            "★" if summary.starred else "",
            "yes" if summary.unread else "",
            str(summary.message_count),
            when(summary.updated_at),
        )
    return table


def messages_table(title: str, messages: Iterable[Message]) -> Table:
    table = Table(title=title)
    for column in ("time (UTC)", "role", "content", "tools", "flags"):
        table.add_column(column)
    for message in messages:
        flags = [name for name, on in (("pinned", message.pinned), ("edited", message.edited_at)) if on]
        table.add_row(
            when(message.created_at),
            message.role.value,
            short(message.content),
            ", ".join(entry.tool_name for entry in message.tool_data),
            ", ".join(flags),
        )
    return table


def pinned_table(pinned: Sequence[PinnedMessage]) -> Table:
    table = Table(title="Pinned messages (newest first)")
    for column in ("conversation", "role", "content"):
        table.add_column(column)
    for item in pinned:
        table.add_row(short(item.conversation_description, 28), item.message.role.value, short(item.message.content))
    return table


def search_table(text: str, hits: Sequence[SearchHit]) -> Table:
    table = Table(title=f"Search {text!r} (case-insensitive, literal)")
    for column in ("conversation", "description matches", "matching messages"):
        table.add_column(column)
    for hit in hits:
        table.add_row(
            short(hit.conversation.description, 32), "yes" if hit.description_matches else "", str(len(hit.message_ids))
        )
    return table


def goal_progress_table(goal_title: str, steps: Sequence[tuple[str, Goal]]) -> Table:
    """One row per step: what happened and the goal's progress after it."""
    table = Table(title=f"Goal {goal_title!r}: roadmap completed node by node")
    for column in ("step", "completed nodes", "progress", "goal completed at"):
        table.add_column(column)
    for step, goal in steps:
        done = sum(node.completed for node in goal.roadmap.nodes)
        table.add_row(step, f"{done}/{len(goal.roadmap.nodes)}", progress_bar(goal.progress), when(goal.completed_at))
    return table


def progress_bar(percent: int, width: int = 10) -> str:
    filled = percent * width // 100
    return f"{'█' * filled}{'░' * (width - filled)} {percent:3d}%"


def stats_tables(title: str, stats: ConversationStats) -> list[Table]:
    totals = Table(title=title)
    for column in ("conversations", "messages", "pinned"):
        totals.add_column(column, justify="right")
    totals.add_row(str(stats.conversations), str(stats.messages), str(stats.pinned))

    per_day = Table(title="Messages per day (UTC)")
    per_day.add_column("day")
    per_day.add_column("messages", justify="right")
    for day, count in stats.messages_per_day.items():
        per_day.add_row(day, str(count))

    by_role = Table(title="Messages by role")
    by_role.add_column("role")
    by_role.add_column("messages", justify="right")
    for role, count in sorted(stats.messages_by_role.items(), key=lambda item: (-item[1], item[0])):
        by_role.add_row(role, str(count))

    tools = Table(title="Top tools")
    tools.add_column("tool")
    tools.add_column("uses", justify="right")
    for name, uses in stats.top_tools:
        tools.add_row(name, str(uses))
    return [totals, per_day, by_role, tools]


def events_table(counts: Mapping[str, int]) -> Table:
    table = Table(title="Events dispatched after commit")
    table.add_column("event")
    table.add_column("count", justify="right")
    for name, count in sorted(counts.items()):
        table.add_row(name, str(count))
    return table
