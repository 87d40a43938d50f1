"""``gaia-db stats --user EMAIL``: a user's conversation aggregations."""

from __future__ import annotations

from typing import Annotated

import typer

from gaia_adapters.cli import tables
from gaia_adapters.cli.common import MongoUrl, PostgresUrl, console, run, settings_for
from gaia_adapters.container import Services, build_container, running
from gaia_adapters.settings import GaiaSettings
from gaia_domain.schemas import StatsOut

UserEmail = Annotated[str, typer.Option("--user", help="The user's email address (any letter case).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the statistics as JSON instead of tables.")]


def stats(
    ctx: typer.Context,
    user: UserEmail,
    as_json: AsJson = False,
    postgres_url: PostgresUrl = None,
    mongo_url: MongoUrl = None,
) -> None:
    """Conversations, messages per day and by role, pinned messages and top tools of one user."""
    settings = settings_for(ctx, postgres_url, mongo_url)
    run(lambda: _stats(settings, user, as_json))


async def _stats(settings: GaiaSettings, email: str, as_json: bool) -> int:
    async with running(build_container(settings)) as app:
        await show_stats(app, email, as_json=as_json)
    return 0


async def show_stats(app: Services, email: str, *, as_json: bool = False) -> None:
    found = await app.users.get_by_email(email)
    result = await app.conversations.stats(found.id)
    if as_json:
        console.print_json(StatsOut.from_domain(result).model_dump_json())
        return
    for table in tables.stats_tables(f"Statistics of {found.email.value}", result):
        console.print(table)
