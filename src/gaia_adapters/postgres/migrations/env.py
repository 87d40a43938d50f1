"""Alembic environment: runs on the connection that ``gaia_adapters.postgres.migrate`` passes in.

No ``alembic.ini`` and no URL here: the caller opens the connection (async engine, ``run_sync``), takes
the migration lock and hands the synchronous connection over in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from gaia_adapters.postgres.tables import metadata

VERSION_TABLE = "gaia_alembic_version"

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the migrations through gaia_adapters.postgres.migrate (no alembic.ini is shipped)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    transaction_per_migration=False,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
