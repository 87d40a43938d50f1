"""Cross-store consistency: the outbox-aware dispatcher, the relay, and the handlers they run.

* :class:`OutboxDispatcher` — called by the services right after a commit: delivers the committed events
  in-process and marks them done; whatever it cannot finish stays pending for the relay.
* :class:`OutboxRelay` — drains the outbox (``gaia-db relay``): claims due events in batches, runs their
  handlers, retries with exponential backoff, parks them as dead after ``relay_max_attempts``.
* :class:`HandlerRegistry` / :func:`builtin_handlers` — which handlers run for which event type.

See docs/consistency.md for the guarantees and how to write a handler.
"""

from gaia_adapters.relay.dispatcher import OutboxDispatcher
from gaia_adapters.relay.handlers import builtin_handlers
from gaia_adapters.relay.loop import OutboxRelay, RelayReport
from gaia_adapters.relay.policy import RelayPolicy
from gaia_adapters.relay.registry import HandlerContext, HandlerRegistry, load_installer
from gaia_adapters.relay.store import Backlog, ClaimBatch, ClaimedEvent, DeadEvent, FailureOutcome, OutboxRelayStore

__all__ = [
    "Backlog",
    "ClaimBatch",
    "ClaimedEvent",
    "DeadEvent",
    "FailureOutcome",
    "HandlerContext",
    "HandlerRegistry",
    "OutboxDispatcher",
    "OutboxRelay",
    "OutboxRelayStore",
    "RelayPolicy",
    "RelayReport",
    "builtin_handlers",
    "load_installer",
]
