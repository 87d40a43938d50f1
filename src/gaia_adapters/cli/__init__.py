"""``gaia-db``: the command-line interface (typer + rich). One module per command.

Backends: memory by default; ``--postgres-url`` / ``--mongo-url`` (before or after the command
name) or ``GAIA_POSTGRES_URL`` / ``GAIA_MONGO_URL`` select the real databases.
"""

from __future__ import annotations

import typer

from gaia_adapters.cli import demo, doctor, import_command, migrate, relay, stats
from gaia_adapters.cli.common import GlobalOptions, MongoUrl, PostgresUrl

app = typer.Typer(
    name="gaia-db",
    help="gaia-domain: a hexagonal data layer over PostgreSQL and MongoDB (memory backend by default).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,  # errors are one line (see cli.common.run); never locals with URLs
)


@app.callback()
def _global_options(ctx: typer.Context, postgres_url: PostgresUrl = None, mongo_url: MongoUrl = None) -> None:
    ctx.obj = GlobalOptions(postgres_url=postgres_url, mongo_url=mongo_url)


# The package attributes stay the command modules (gaia_adapters.cli.migrate is the module, not the function).
app.command("demo")(demo.demo)
app.command("migrate")(migrate.migrate)
app.command("import")(import_command.import_)
app.command("stats")(stats.stats)
app.command("doctor")(doctor.doctor)
app.command("relay")(relay.relay)


def main() -> None:
    app()


__all__ = ["app", "main"]
