"""The User aggregate (stored in PostgreSQL)."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from gaia_domain import validation as v
from gaia_domain.clock import Clock
from gaia_domain.errors import InvalidInput
from gaia_domain.events import Event, OnboardingCompleted, UserDeleted, UserRegistered
from gaia_domain.ids import UserId

MAX_EMAIL = 254
MAX_NAME = 100
MAX_URL = 2048
MAX_PROFESSION = 50
MAX_RESPONSE_STYLE = 50
MAX_CUSTOM_INSTRUCTIONS = 500
MAX_LEGACY_ID = 64

# Deliberately plain: one "@", a non-empty local part, a dotted domain, no spaces.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


@dataclass(frozen=True, slots=True)
class Email:
    """An email address, trimmed; compared, looked up and unique by its lower-cased form."""

    value: str

    def __post_init__(self) -> None:
        cleaned = v.text("email", self.value, max_length=MAX_EMAIL)
        if not _EMAIL.fullmatch(cleaned):
            raise InvalidInput("email", f"is not a valid email address: {cleaned[:64]!r}")
        object.__setattr__(self, "value", cleaned)

    @property
    def normalized(self) -> str:
        return self.value.lower()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Email) and other.normalized == self.normalized

    def __hash__(self) -> int:
        return hash(self.normalized)

    def __str__(self) -> str:
        return self.value


def normalize_email(raw: str) -> str:
    """The lookup key for an email address (trimmed, lower-cased), validated."""
    return Email(raw).normalized


class OnboardingPhase(StrEnum):
    INITIAL = "initial"
    PERSONALIZATION_PENDING = "personalization_pending"
    PERSONALIZATION_COMPLETE = "personalization_complete"
    GETTING_STARTED = "getting_started"
    COMPLETED = "completed"


_PHASE_ORDER = list(OnboardingPhase)


@dataclass(frozen=True, slots=True)
class Preferences:
    profession: str | None = None
    response_style: str | None = None
    custom_instructions: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "profession", v.optional_text("preferences.profession", self.profession, max_length=MAX_PROFESSION)
        )
        object.__setattr__(
            self,
            "response_style",
            v.optional_text("preferences.response_style", self.response_style, max_length=MAX_RESPONSE_STYLE),
        )
        object.__setattr__(
            self,
            "custom_instructions",
            v.optional_text(
                "preferences.custom_instructions", self.custom_instructions, max_length=MAX_CUSTOM_INSTRUCTIONS
            ),
        )


@dataclass(frozen=True, slots=True)
class Onboarding:
    phase: OnboardingPhase = OnboardingPhase.INITIAL
    preferences: Preferences = field(default_factory=Preferences)
    completed_at: datetime | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "phase", OnboardingPhase(self.phase))
        except ValueError as exc:
            raise InvalidInput("onboarding.phase", f"unknown phase {self.phase!r}") from exc
        if self.completed_at is not None:
            object.__setattr__(self, "completed_at", v.utc_ms("onboarding.completed_at", self.completed_at))


def _timezone(value: object) -> str:
    name = v.text("timezone", value, max_length=64)
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput("timezone", f"is not an IANA timezone: {name!r}") from exc
    return name


def _picture_url(value: object) -> str | None:
    url = v.optional_text("picture_url", value, max_length=MAX_URL)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise InvalidInput("picture_url", "must be an absolute http or https URL")
    return url


@dataclass(eq=False)
class User:
    """A person using the assistant. Build new users with :meth:`register`."""

    id: UserId
    email: Email
    name: str
    created_at: datetime
    updated_at: datetime
    picture_url: str | None = None
    timezone: str = "UTC"
    onboarding: Onboarding = field(default_factory=Onboarding)
    last_active_at: datetime | None = None
    legacy_id: str | None = None
    version: int = 1
    events: list[Event] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, UserId):
            raise InvalidInput("id", "must be a UserId")
        if not isinstance(self.email, Email):
            raise InvalidInput("email", "must be an Email")
        self.name = v.text("name", self.name, max_length=MAX_NAME)
        self.picture_url = _picture_url(self.picture_url)
        self.timezone = _timezone(self.timezone)
        self.created_at = v.utc_ms("created_at", self.created_at)
        self.updated_at = v.utc_ms("updated_at", self.updated_at)
        if self.last_active_at is not None:
            self.last_active_at = v.utc_ms("last_active_at", self.last_active_at)
        self.legacy_id = v.optional_text("legacy_id", self.legacy_id, max_length=MAX_LEGACY_ID)
        if not isinstance(self.onboarding, Onboarding):
            raise InvalidInput("onboarding", "must be an Onboarding")

    def __eq__(self, other: object) -> bool:
        """Value equality over the stored state (pending events are not state)."""
        return isinstance(other, User) and self.snapshot() == other.snapshot()

    __hash__ = None  # type: ignore[assignment]

    def snapshot(self) -> tuple[object, ...]:
        return (
            self.id,
            self.email.value,
            self.name,
            self.picture_url,
            self.timezone,
            self.onboarding,
            self.created_at,
            self.updated_at,
            self.last_active_at,
            self.legacy_id,
            self.version,
        )

    @classmethod
    def register(
        cls,
        *,
        email: str,
        name: str,
        clock: Clock,
        picture_url: str | None = None,
        timezone: str = "UTC",
        legacy_id: str | None = None,
        user_id: UserId | None = None,
    ) -> User:
        now = clock.now()
        user = cls(
            id=user_id or UserId.new(),
            email=Email(email),
            name=name,
            picture_url=picture_url,
            timezone=timezone,
            created_at=now,
            updated_at=now,
            legacy_id=legacy_id,
        )
        user.events.append(UserRegistered(occurred_at=now, user_id=user.id, email=user.email.value, name=user.name))
        return user

    def update_profile(
        self,
        *,
        clock: Clock,
        name: str | None = None,
        picture_url: str | None = None,
        timezone: str | None = None,
        clear_picture: bool = False,
    ) -> None:
        """Validate every change first, then apply them all (a bad field changes nothing)."""
        if not isinstance(clear_picture, bool):
            raise InvalidInput("clear_picture", f"must be a boolean, got {type(clear_picture).__name__}")
        if clear_picture and picture_url is not None:
            raise InvalidInput("picture_url", "give a new picture_url or clear_picture, not both")
        new_name = v.text("name", name, max_length=MAX_NAME) if name is not None else self.name
        new_picture = (
            None if clear_picture else (_picture_url(picture_url) if picture_url is not None else self.picture_url)
        )
        new_tz = _timezone(timezone) if timezone is not None else self.timezone
        self.name, self.picture_url, self.timezone = new_name, new_picture, new_tz
        self.updated_at = clock.now()

    def update_onboarding(
        self,
        *,
        clock: Clock,
        phase: OnboardingPhase | str | None = None,
        preferences: Preferences | None = None,
    ) -> None:
        """Phases only move forward (they may skip steps); preferences may change at any time."""
        if preferences is not None and not isinstance(preferences, Preferences):
            raise InvalidInput("onboarding.preferences", f"must be Preferences, got {type(preferences).__name__}")
        new_phase = self.onboarding.phase
        if phase is not None:
            try:
                new_phase = OnboardingPhase(phase)
            except ValueError as exc:
                raise InvalidInput("onboarding.phase", f"unknown phase {phase!r}") from exc
            if _PHASE_ORDER.index(new_phase) < _PHASE_ORDER.index(self.onboarding.phase):
                raise InvalidInput(
                    "onboarding.phase", f"cannot move back from {self.onboarding.phase.value} to {new_phase.value}"
                )
        now = clock.now()
        completed_at = self.onboarding.completed_at
        if new_phase is OnboardingPhase.COMPLETED and completed_at is None:
            completed_at = now
            self.events.append(OnboardingCompleted(occurred_at=now, user_id=self.id))
        self.onboarding = replace(
            self.onboarding,
            phase=new_phase,
            preferences=preferences if preferences is not None else self.onboarding.preferences,
            completed_at=completed_at,
        )
        self.updated_at = now

    def touch(self, clock: Clock) -> None:
        self.last_active_at = clock.now()

    def mark_deleted(self, clock: Clock) -> None:
        self.events.append(UserDeleted(occurred_at=clock.now(), user_id=self.id))
