"""``gaia-db relay``: dispatch outbox events to their handlers after commit (at least once, idempotent handlers).

Placeholder until the relay lands; it says plainly what is missing.
"""

from __future__ import annotations

import typer

from gaia_adapters.cli.common import MongoUrl, PostgresUrl, require_feature, settings_for


def relay(ctx: typer.Context, postgres_url: PostgresUrl = None, mongo_url: MongoUrl = None) -> None:
    """Dispatch pending outbox events (for example UserDeleted -> delete the user's conversations)."""
    settings_for(ctx, postgres_url, mongo_url)
    require_feature("gaia_adapters.relay", "run_relay", "gaia-db relay (the outbox relay)")
