"""The shared contract suites on real PostgreSQL (K12: the same tests the fakes pass).

Fixtures ``uow_factory`` and ``read_outbox`` come from the ``support.postgres`` plugin (an empty database per test).
"""

from __future__ import annotations

import pytest

from gaia_domain.testing.contracts import GoalRepositoryContract, UnitOfWorkContract, UserRepositoryContract

pytestmark = pytest.mark.integration


class TestPostgresUserRepository(UserRepositoryContract):
    pass


class TestPostgresGoalRepository(GoalRepositoryContract):
    pass


class TestPostgresUnitOfWork(UnitOfWorkContract):
    pass
