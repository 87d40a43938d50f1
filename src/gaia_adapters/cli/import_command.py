"""``gaia-db import FILE --user EMAIL``: chat exports (ChatGPT, Claude) into conversations.

Placeholder until the importer lands (issue 6 replaces this module): the command and its options
exist so that ``gaia-db --help`` is complete, and it says plainly that the importer is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gaia_adapters.cli.common import MongoUrl, PostgresUrl, require_feature, settings_for

ExportFile = Annotated[Path, typer.Argument(help="A ChatGPT conversations.json or a Claude.ai export.")]
UserEmail = Annotated[str, typer.Option("--user", help="Owner of the imported conversations (created when missing).")]


def import_(
    ctx: typer.Context,
    file: ExportFile,
    user: UserEmail,
    postgres_url: PostgresUrl = None,
    mongo_url: MongoUrl = None,
) -> None:
    """Import a chat export (ChatGPT or Claude.ai) as conversations of a user."""
    settings_for(ctx, postgres_url, mongo_url)
    require_feature("gaia_adapters.importers.command", "import_command", "gaia-db import (the chat-export importer)")
