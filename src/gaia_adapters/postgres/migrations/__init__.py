"""Alembic migrations of the PostgreSQL schema, shipped inside the package (run them with ``migrate.py``)."""
