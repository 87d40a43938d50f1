"""Driver errors as the CLI shows them: an unmigrated database says what to run."""

from __future__ import annotations

import asyncpg

from gaia_adapters.postgres.errors import translate
from gaia_domain.errors import StoreUnavailable


def test_a_missing_table_says_to_run_migrate() -> None:
    # `gaia-db stats/import/demo/relay` on a database that was never migrated.
    error = translate(asyncpg.UndefinedTableError('relation "users" does not exist'), "user", "ada@example.org")
    assert isinstance(error, StoreUnavailable)
    assert 'relation "users" does not exist' in str(error)
    assert "gaia-db migrate" in str(error)
