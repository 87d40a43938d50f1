"""Reference models: the simplest correct implementations of the ports, written independently of any adapter.

They hold plain dicts and lists, recompute every answer from scratch and page by offset. The
stateful machine compares an adapter with them (or with another adapter) operation by operation.
Not for production: no isolation between concurrent units of work, O(n) everything.
"""

from gaia_domain.testing.reference.conversations import ReferenceConversationStore
from gaia_domain.testing.reference.relational import ReferenceDatabase, ReferenceUnitOfWork

__all__ = ["ReferenceConversationStore", "ReferenceDatabase", "ReferenceUnitOfWork"]
