"""The ``gaia-db`` console script.

Loading the CLI imports SQLAlchemy, PyMongo, pydantic and rich, which takes most of a second: a Ctrl-C in that
time (or while the arguments are parsed, before a command's own handling starts) is the same one line and exit
code 130 as a Ctrl-C during the work, never a traceback. This module imports nothing heavy itself.
"""

from __future__ import annotations

import os
import sys

EXIT_INTERRUPTED = 130  # as a shell reports SIGINT
INTERRUPTED = "interrupted (Ctrl-C); running the command again is safe (whatever it had committed stays)"


def main() -> None:
    try:
        from gaia_adapters.cli import main as cli_main

        cli_main()
    except KeyboardInterrupt:
        if os.environ.get("GAIA_DEBUG") == "1":
            raise
        print(f"error: {INTERRUPTED}", file=sys.stderr)
        raise SystemExit(EXIT_INTERRUPTED) from None
