"""``python -m gaia_adapters.cli`` = ``gaia-db``."""

from gaia_adapters.entry import main

main()
