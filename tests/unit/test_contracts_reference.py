"""The contract suites on the reference models: the stateful machine's yardstick must itself be right.

The models deliberately have no isolation between units of work and page by offset, so the
tests about concurrent units of work and about pages while inserting do not apply to them.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from gaia_domain.ids import EventId
from gaia_domain.testing.contracts import (
    ConversationStoreContract,
    GoalRepositoryContract,
    OutboxReader,
    StoredEvent,
    UnitOfWorkContract,
    UserRepositoryContract,
)
from gaia_domain.testing.contracts._base import UnitOfWorkFactory
from gaia_domain.testing.reference import ReferenceConversationStore, ReferenceDatabase, ReferenceUnitOfWork


@pytest.fixture
def database() -> ReferenceDatabase:
    return ReferenceDatabase()


@pytest.fixture
def uow_factory(database: ReferenceDatabase) -> UnitOfWorkFactory:
    return lambda: ReferenceUnitOfWork(database)


@pytest.fixture
def read_outbox(database: ReferenceDatabase) -> OutboxReader:
    async def read() -> Sequence[StoredEvent]:
        return [StoredEvent(EventId.parse(i), type_name, payload) for i, type_name, payload in database.outbox]

    return read


@pytest.fixture
def conversation_store() -> ReferenceConversationStore:
    return ReferenceConversationStore()


class TestReferenceUserRepository(UserRepositoryContract):
    test_of_two_concurrent_saves_from_one_version_exactly_one_commits = None  # type: ignore[assignment]
    test_k04_of_two_concurrent_registrations_with_one_address_exactly_one_wins = None  # type: ignore[assignment]


class TestReferenceGoalRepository(GoalRepositoryContract):
    pass


class TestReferenceUnitOfWork(UnitOfWorkContract):
    test_uncommitted_work_is_invisible_to_other_units_of_work_until_commit = None  # type: ignore[assignment]
    test_k03_cancelling_a_unit_of_work_at_any_step_stores_nothing_and_the_next_one_commits = None  # type: ignore[assignment]


class TestReferenceConversationStore(ConversationStoreContract):
    test_k09_walking_conversation_pages_while_inserting_returns_each_existing_one_once = None  # type: ignore[assignment]
    test_k09_message_pages_newest_first_while_appending_return_each_once = None  # type: ignore[assignment]
    # They forge or reuse a message cursor by its position: the model's cursors are offsets of its own kind.
    test_a_message_cursor_past_the_end_pages_from_the_last_message = None  # type: ignore[assignment]
    test_a_message_cursor_of_a_re_created_shorter_conversation_pages_from_its_last_message = None  # type: ignore[assignment]
