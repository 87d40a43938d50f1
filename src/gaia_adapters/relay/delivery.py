"""One delivery: run an event's handlers under its lease, then finish it, schedule its retry or park it.

Shared by the in-process dispatcher and the relay, so both record results the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from gaia_adapters.relay.policy import RelayPolicy
from gaia_adapters.relay.store import ClaimedEvent, FailureOutcome, OutboxRelayStore, clip_error
from gaia_adapters.settings import mask_url
from gaia_domain.errors import DomainError
from gaia_domain.events import Event, event_from_payload
from gaia_domain.services.bus import HandlerFailure, MessageBus

log = logging.getLogger("gaia_adapters.relay")


def describe_failures(failures: list[HandlerFailure]) -> str:
    parts = [f"{f.handler}: {type(f.error).__name__}: {f.error}" for f in failures]
    return clip_error(mask_url("; ".join(parts)))


def decode(claim: ClaimedEvent) -> Event | str:
    """The event, or why it cannot be rebuilt (an unregistered type, a payload that no longer fits)."""
    try:
        return event_from_payload(claim.type_name, claim.payload)
    except (DomainError, KeyError, TypeError, ValueError) as exc:
        return clip_error(f"cannot decode {claim.type_name}: {type(exc).__name__}: {exc}")


async def run_handlers(bus: MessageBus, event: Event) -> str | None:
    """None when every handler succeeded, else the failures as one line (each already logged by the bus)."""
    failures = await bus.handle(event)
    return describe_failures(failures) if failures else None


@dataclass
class FailureRecorder:
    store: OutboxRelayStore
    policy: RelayPolicy

    async def record(self, claim: ClaimedEvent, error: str) -> FailureOutcome:
        """Store the error under the claim's lease; the event retries after the backoff or is parked as dead."""
        retry_in = self.policy.retry_in(claim.attempt)
        outcome = await self.store.record_failure(claim, error, retry_in=retry_in)
        if outcome is FailureOutcome.DEAD:
            log.error(
                "outbox event %s (%s) parked as dead after %d attempts: %s",
                claim.event_id,
                claim.type_name,
                claim.attempt,
                error,
            )
        elif outcome is FailureOutcome.RETRY:
            log.warning(
                "outbox event %s (%s) attempt %d failed, retry in %.1f s: %s",
                claim.event_id,
                claim.type_name,
                claim.attempt,
                retry_in or 0.0,
                error,
            )
        else:
            log.warning(
                "outbox event %s (%s) attempt %d failed after its lease was taken over: %s",
                claim.event_id,
                claim.type_name,
                claim.attempt,
                error,
            )
        return outcome
