"""The outbox-aware EventDispatcher: what the services call right after their commit.

The unit of work has already written the events to the outbox in the committed transaction. Here each
event's row is claimed (a lease, taken with ``SKIP LOCKED``: if the relay holds it, it is left to the
relay), its handlers run, and it is marked dispatched. Whatever does not finish here — a handler error,
MongoDB down, the outbox unreachable, the process killed — stays pending in the outbox for the relay.

The caller's operation was committed, so it succeeds whatever happens here: nothing is raised to it.
Nothing is swallowed either: every failure is logged with the event id and recorded as the event's
``last_error`` (with its retry time) for the relay and ``gaia-db doctor``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from gaia_adapters.relay.delivery import FailureRecorder, run_handlers
from gaia_adapters.relay.policy import RelayPolicy
from gaia_adapters.relay.store import OutboxRelayStore
from gaia_domain.events import Event
from gaia_domain.ids import EventId
from gaia_domain.services.bus import EventDispatcher, MessageBus

log = logging.getLogger("gaia_adapters.relay")


class OutboxDispatcher(EventDispatcher):
    def __init__(self, bus: MessageBus, store: OutboxRelayStore, policy: RelayPolicy | None = None) -> None:
        super().__init__(bus)
        self.store = store
        self.policy = policy or RelayPolicy()
        self._failures = FailureRecorder(store, self.policy)

    async def after_commit(self, events: Sequence[Event]) -> None:
        if not events:
            return
        ids = [event.event_id for event in events]
        try:
            if not any(self.bus.handlers_for(event) for event in events):
                await self.store.mark_done(ids)  # nothing to run: one statement, no lease needed
                return
            claims = {
                c.event_id: c for c in await self.store.claim_events(ids, lease_seconds=self.policy.lease_seconds)
            }
        except Exception as exc:  # noqa: BLE001 - the caller's commit stands; the events stay pending for the relay
            log.error("outbox events %s left for the relay: could not claim them: %r", _ids(events), exc)
            return
        done: list[EventId] = []
        for event in events:
            claim = claims.get(event.event_id)
            if claim is None:
                continue  # claimed by a relay meanwhile (or already finished): theirs now
            error = await run_handlers(self.bus, event)
            if error is None:
                done.append(event.event_id)
                continue
            try:
                await self._failures.record(claim, error)
            except Exception as exc:  # noqa: BLE001 - its lease runs out and the relay retries it
                log.error(
                    "outbox event %s left for the relay: %s; recording the failure failed: %r",
                    event.event_id,
                    error,
                    exc,
                )
        if done:
            try:
                await self.store.mark_done(done)
            except Exception as exc:  # noqa: BLE001 - delivered but not marked: the relay redelivers (idempotent)
                handled = ", ".join(str(event_id) for event_id in done)
                log.error(
                    "outbox events %s were handled but not marked done (the relay will redeliver): %r", handled, exc
                )


def _ids(events: Sequence[Event]) -> str:
    return ", ".join(str(event.event_id) for event in events)
