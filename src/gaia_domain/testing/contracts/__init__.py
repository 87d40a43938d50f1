"""Contract suites: one test class per port, run over every implementation.

Subclass a contract in a test module (named ``Test...``) and provide fixtures over an EMPTY store:

* ``uow_factory`` -> ``Callable[[], UnitOfWork]`` (users, goals, unit of work contracts),
* ``read_outbox`` -> ``Callable[[], Awaitable[Sequence[StoredEvent]]]``, the committed outbox rows (unit of work),
* ``conversation_store`` -> ``ConversationStore`` (conversation store contract).

``clock`` (a :class:`~gaia_domain.clock.TickingClock`) comes from the base class; override it if needed.
"""

from gaia_domain.testing.contracts._base import OutboxReader, StoredEvent
from gaia_domain.testing.contracts.conversations import ConversationStoreContract
from gaia_domain.testing.contracts.goals import GoalRepositoryContract
from gaia_domain.testing.contracts.unit_of_work import UnitOfWorkContract
from gaia_domain.testing.contracts.users import UserRepositoryContract

__all__ = [
    "ConversationStoreContract",
    "GoalRepositoryContract",
    "OutboxReader",
    "StoredEvent",
    "UnitOfWorkContract",
    "UserRepositoryContract",
]
