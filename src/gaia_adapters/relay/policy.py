"""How hard the relay tries: batch size, attempts, exponential backoff, lease, polling interval."""

from __future__ import annotations

from dataclasses import dataclass

from gaia_adapters.settings import GaiaSettings


@dataclass(frozen=True)
class RelayPolicy:
    batch_size: int = 100
    max_attempts: int = 8
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 300.0
    lease_seconds: float = 60.0
    poll_interval_seconds: float = 1.0

    @classmethod
    def from_settings(cls, settings: GaiaSettings) -> RelayPolicy:
        return cls(
            batch_size=settings.relay_batch_size,
            max_attempts=settings.relay_max_attempts,
            backoff_base_seconds=settings.relay_backoff_base_seconds,
            backoff_max_seconds=settings.relay_backoff_max_seconds,
            lease_seconds=settings.relay_lease_seconds,
            poll_interval_seconds=settings.relay_poll_interval_seconds,
        )

    def backoff(self, attempt: int) -> float:
        """Seconds before the next try after failed attempt ``attempt`` (1-based): base, 2·base, 4·base, … capped."""
        exponent = min(max(attempt, 1) - 1, 62)  # 2**62 s is beyond any cap; avoids float overflow
        return min(self.backoff_max_seconds, self.backoff_base_seconds * 2.0**exponent)

    def retry_in(self, attempt: int) -> float | None:
        """The backoff after ``attempt`` failed, or None when it was the last attempt (park the event as dead)."""
        return None if attempt >= self.max_attempts else self.backoff(attempt)
