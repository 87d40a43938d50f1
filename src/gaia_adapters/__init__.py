"""Adapters for gaia-domain's ports: memory fakes, PostgreSQL, MongoDB, the container and the CLI."""
