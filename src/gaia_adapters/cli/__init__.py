"""``gaia-db``: the command-line interface (typer + rich). One module per command.

Backends: memory by default; ``--postgres-url`` / ``--mongo-url`` (before or after the command
name) or ``GAIA_POSTGRES_URL`` / ``GAIA_MONGO_URL`` select the real databases.
"""

from __future__ import annotations

import typer

from gaia_adapters.cli.common import GlobalOptions, MongoUrl, PostgresUrl
from gaia_adapters.cli.demo import demo
from gaia_adapters.cli.doctor import doctor
from gaia_adapters.cli.import_command import import_
from gaia_adapters.cli.migrate import migrate
from gaia_adapters.cli.relay import relay
from gaia_adapters.cli.stats import stats

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


app.command("demo")(demo)
app.command("migrate")(migrate)
app.command("import")(import_)
app.command("stats")(stats)
app.command("doctor")(doctor)
app.command("relay")(relay)


def main() -> None:
    app()


__all__ = ["app", "main"]
