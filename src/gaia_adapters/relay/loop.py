"""The relay: drain the outbox — claim due events in batches, run their handlers, finish or retry them.

* ``drain()`` runs until no event is due (``gaia-db relay``); with ``wait_seconds`` it also waits for events
  that become due within that time (retries, leases of a crashed process running out).
* ``follow(stop)`` keeps polling every ``poll_interval_seconds`` until ``stop`` is set (``--follow``);
  an unreachable outbox is logged and retried at the next poll instead of ending the loop.

Events are handled one at a time in outbox order, so one user's events (registered, then deleted) keep their
order within a batch. A batch that takes longer than most of its lease stops early: the rest of it is left
to expire and be claimed again, rather than be delivered while another relay may already hold it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from gaia_adapters.relay.delivery import FailureRecorder, decode, run_handlers
from gaia_adapters.relay.policy import RelayPolicy
from gaia_adapters.relay.store import Backlog, FailureOutcome, OutboxRelayStore
from gaia_domain.ids import EventId
from gaia_domain.services.bus import MessageBus

log = logging.getLogger("gaia_adapters.relay")

LEASE_BUDGET = 0.8  # stop starting new deliveries of a batch once this share of its lease has passed


@dataclass
class RelayReport:
    batches: int = 0
    claimed: int = 0
    done: int = 0
    retried: int = 0
    dead: int = 0  # parked: the last attempt failed, or none was left when claimed
    lost: int = 0  # failed after another claimer took the lease over
    left: int = 0  # claimed but not started before the lease budget ran out (claimed again later)
    by_type: Counter[str] = field(default_factory=Counter)  # finished events per type

    def merge(self, other: RelayReport) -> None:
        self.batches += other.batches
        self.claimed += other.claimed
        self.done += other.done
        self.retried += other.retried
        self.dead += other.dead
        self.lost += other.lost
        self.left += other.left
        self.by_type.update(other.by_type)

    @property
    def handled(self) -> int:
        return self.done + self.retried + self.dead + self.lost


BatchCallback = Callable[[RelayReport], None]


class OutboxRelay:
    def __init__(
        self,
        store: OutboxRelayStore,
        bus: MessageBus,
        policy: RelayPolicy | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.bus = bus
        self.policy = policy or RelayPolicy()
        self._monotonic = monotonic
        self._failures = FailureRecorder(store, self.policy)

    async def run_batch(self) -> RelayReport:
        """Claim one batch and deliver it. An unreachable outbox raises (``StoreUnavailable``)."""
        policy = self.policy
        started = self._monotonic()
        batch = await self.store.claim_due(
            policy.batch_size, lease_seconds=policy.lease_seconds, max_attempts=policy.max_attempts
        )
        report = RelayReport(batches=1, claimed=len(batch.claimed), dead=len(batch.parked))
        for event_id in batch.parked:
            log.error("outbox event %s parked as dead: its last attempt never reported back", event_id)
        done: list[EventId] = []
        for index, claim in enumerate(batch.claimed):
            if self._monotonic() - started > policy.lease_seconds * LEASE_BUDGET:
                report.left = len(batch.claimed) - index
                log.warning("relay batch overran its lease budget; %d events left for the next claim", report.left)
                break
            event = decode(claim)
            error = event if isinstance(event, str) else await run_handlers(self.bus, event)
            if error is None:
                done.append(claim.event_id)
                report.by_type[claim.type_name] += 1
                continue
            outcome = await self._failures.record(claim, error)
            if outcome is FailureOutcome.LOST:
                report.lost += 1
                continue
            report.by_type[claim.type_name] += 1
            if outcome is FailureOutcome.RETRY:
                report.retried += 1
            else:
                report.dead += 1
        if done:
            await self.store.mark_done(done)
            report.done = len(done)
        return report

    async def drain(self, *, wait_seconds: float = 0.0, on_batch: BatchCallback | None = None) -> RelayReport:
        """Deliver every due event; with ``wait_seconds``, also those that become due within that time."""
        total = RelayReport()
        deadline = self._monotonic() + wait_seconds
        while True:
            report = await self.run_batch()
            if report.claimed or report.dead:
                total.merge(report)
                if on_batch is not None:
                    on_batch(report)
                continue
            backlog = await self.store.backlog()
            if backlog.due:  # claimed by someone else right now; look again shortly
                await asyncio.sleep(min(self.policy.poll_interval_seconds, 0.05))
                continue
            if backlog.next_due_in is None or self._monotonic() + backlog.next_due_in > deadline:
                return total
            await asyncio.sleep(max(backlog.next_due_in, 0.001))

    async def follow(
        self,
        stop: asyncio.Event,
        *,
        on_batch: BatchCallback | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> RelayReport:
        """Keep delivering until ``stop`` is set; sleeps ``poll_interval_seconds`` whenever nothing is due."""
        total = RelayReport()
        while not stop.is_set():
            try:
                report = await self.run_batch()
            except Exception as exc:  # noqa: BLE001 - the outbox is unreachable for now: report, poll again
                log.warning("relay: claiming failed, retrying in %.1f s: %r", self.policy.poll_interval_seconds, exc)
                if on_error is not None:
                    on_error(exc)
                report = RelayReport()
            if report.claimed or report.dead:
                total.merge(report)
                if on_batch is not None:
                    on_batch(report)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.policy.poll_interval_seconds)
        return total

    async def retry_dead(self, event_ids: list[EventId] | None = None) -> int:
        count = await self.store.retry_dead(event_ids)
        if count:
            log.info("relay: %d dead events re-queued", count)
        return count

    async def backlog(self) -> Backlog:
        return await self.store.backlog()
