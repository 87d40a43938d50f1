"""Contract suites: one test class per port, run over every implementation.

Subclass a contract in a test module (named ``Test...``) and provide fixtures over an EMPTY store:

* ``uow_factory`` -> ``Callable[[], UnitOfWork]`` (users, goals, unit of work contracts),
* ``read_outbox`` -> ``Callable[[], Awaitable[Sequence[StoredEvent]]]``, the committed outbox rows (unit of work),
* ``conversation_store`` -> ``ConversationStore`` (conversation store contract).

``clock`` (a :class:`~gaia_domain.clock.TickingClock`) comes from the base class; override it if needed.

Besides ``ports.py`` and the agreed semantics, the suites pin down these details (so every adapter agrees):

* a page's ``next_cursor`` is ``None`` exactly when no item follows (no empty trailing page);
* a cursor of another list, with a malformed key or edited in any way is ``InvalidInput("cursor")``;
* an error may surface at the statement or at ``commit()`` (PostgreSQL reports some only at commit);
* adding a goal for an unknown owner is ``NotFound`` (the foreign key); deleting a user deletes their goals;
* events of aggregates first seen inside a savepoint that was rolled back are not written to the outbox;
* pinning or editing a message does not move the conversation's activity time (``updated_at``);
* a batch repeating one message id is ``AlreadyExists`` (like a retried append), an empty batch ``InvalidInput``;
* ``stats.messages_by_role`` lists only roles that occur; ``top_tools`` counts tool-data entries.
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
