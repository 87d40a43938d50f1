"""``python -m gaia_adapters.cli`` = ``gaia-db``."""

from gaia_adapters.cli import main

main()
