"""In-memory adapters for every port: the test doubles and the demo backend.

They keep the real adapters' ordering, letter-case rules, uniqueness, owner scoping, millisecond
times and error types; the shared contract suites (``gaia_domain.testing.contracts``) prove it.
"""

from gaia_adapters.memory.conversation_store import MemoryConversationStore
from gaia_adapters.memory.database import MemoryDatabase, OutboxRecord
from gaia_adapters.memory.goals import MemoryGoalRepository
from gaia_adapters.memory.outbox import MemoryOutbox
from gaia_adapters.memory.unit_of_work import MemoryUnitOfWork
from gaia_adapters.memory.users import MemoryUserRepository

__all__ = [
    "MemoryConversationStore",
    "MemoryDatabase",
    "MemoryGoalRepository",
    "MemoryOutbox",
    "MemoryUnitOfWork",
    "MemoryUserRepository",
    "OutboxRecord",
]
