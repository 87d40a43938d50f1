"""``gaia-db doctor``: connectivity, server versions, pending migrations, indexes, outbox backlog.

Placeholder until the checks land (issue 6 replaces this module); it says plainly what is missing.
"""

from __future__ import annotations

import typer

from gaia_adapters.cli.common import MongoUrl, PostgresUrl, describe_backends, headline, require_feature, settings_for


def doctor(ctx: typer.Context, postgres_url: PostgresUrl = None, mongo_url: MongoUrl = None) -> None:
    """Check the databases: connectivity, versions, pending migrations, missing indexes, outbox backlog."""
    settings = settings_for(ctx, postgres_url, mongo_url)
    headline("gaia-db doctor", f"— {describe_backends(settings)}")
    require_feature("gaia_adapters.doctor", "run_checks", "gaia-db doctor (the health checks)")
