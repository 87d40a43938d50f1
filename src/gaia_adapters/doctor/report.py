"""What a health check returns: one result per check, and the exit code the whole report stands for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gaia_adapters.relay.store import DeadEvent
from gaia_adapters.settings import mask_url

EXIT_OK = 0
EXIT_ATTENTION = 1  # something needs attention: pending migrations, missing indexes, a backlog, a failed check
EXIT_UNREACHABLE = 2  # a database could not be reached at all


class Status(StrEnum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class CheckResult:
    """One line of the report. ``detail`` never carries a password (it is masked when the result is made)."""

    database: str
    check: str
    status: Status
    detail: str
    unreachable: bool = False  # this FAIL means the server could not be reached (exit code 2)

    def __post_init__(self) -> None:
        object.__setattr__(self, "detail", mask_url(self.detail))


def ok(database: str, check: str, detail: str) -> CheckResult:
    return CheckResult(database, check, Status.OK, detail)


def warn(database: str, check: str, detail: str) -> CheckResult:
    return CheckResult(database, check, Status.WARN, detail)


def fail(database: str, check: str, detail: str, *, unreachable: bool = False) -> CheckResult:
    return CheckResult(database, check, Status.FAIL, detail, unreachable)


def error_text(error: BaseException, limit: int = 300) -> str:
    """A driver error as one short, masked line."""
    details = getattr(error, "details", None)  # a server's reply (PyMongo's OperationFailure): its message only
    if isinstance(details, dict) and isinstance(details.get("errmsg"), str):
        name = details.get("codeName")
        message = details["errmsg"] + (f" ({name})" if isinstance(name, str) and name else "")
    else:
        message = str(error)
    # Mask first: cutting first could split a URL before its "@" and leave half a password unmasked.
    text = mask_url(" ".join(f"{type(error).__name__}: {message}".split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Report:
    results: Sequence[CheckResult]
    dead_events: Sequence[DeadEvent] = ()  # parked outbox events, oldest first (re-queue: gaia-db relay --retry-dead)

    @property
    def exit_code(self) -> int:
        if any(result.unreachable for result in self.results):
            return EXIT_UNREACHABLE
        if any(result.status is not Status.OK for result in self.results):
            return EXIT_ATTENTION
        return EXIT_OK

    def by_status(self, status: Status) -> list[CheckResult]:
        return [result for result in self.results if result.status is status]

    def as_json(self) -> dict[str, Any]:
        """The report as plain JSON values (for monitoring: ``gaia-db doctor --json``); passwords masked."""
        return {
            "exit_code": self.exit_code,
            "checks": [
                {"database": r.database, "check": r.check, "status": r.status.value, "detail": r.detail}
                for r in self.results
            ],
            "dead_events": [
                {
                    "event_id": str(e.event_id),
                    "type": e.type_name,
                    "created_at": e.created_at.isoformat(),
                    "attempts": e.attempts,
                    "last_error": mask_url(e.last_error) if e.last_error is not None else None,
                }
                for e in self.dead_events
            ],
        }
