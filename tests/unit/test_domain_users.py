"""User invariants, enforced when a user is built and whenever it changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gaia_domain.clock import ManualClock
from gaia_domain.errors import InvalidInput
from gaia_domain.events import OnboardingCompleted, UserDeleted, UserRegistered
from gaia_domain.testing import strategies as gs
from gaia_domain.users import MAX_NAME, Email, OnboardingPhase, Preferences, User

CLOCK = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))


def registered(**overrides: object) -> User:
    fields: dict[str, object] = {"email": "ada@example.com", "name": "Ada", "clock": CLOCK, **overrides}
    return User.register(**fields)  # type: ignore[arg-type]


@given(email=gs.emails, data=st.data())
def test_email_equality_and_hash_ignore_letter_case_and_surrounding_space(email: str, data: st.DataObject) -> None:
    variant = data.draw(gs.case_variants(email))
    assert Email(variant) == Email(email)
    assert hash(Email(variant)) == hash(Email(email))
    assert Email(variant).normalized == email.lower()
    assert Email(variant).value == variant.strip()  # kept as written, only trimmed


@given(raw=gs.malformed_emails | gs.nul_text | gs.lone_surrogate_text)
def test_malformed_email_is_invalid_email(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Email(raw)
    assert caught.value.field == "email"


@given(user=gs.users())
def test_generated_users_are_valid_and_stamped_in_utc_milliseconds(user: User) -> None:
    assert user.created_at.tzinfo is UTC
    assert user.created_at.microsecond % 1000 == 0
    assert [type(e) for e in user.events] == [UserRegistered]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "nope"}, "email"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * (MAX_NAME + 1)}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"name": "a\ud800b"}, "name"),
        ({"picture_url": "javascript:alert(1)"}, "picture_url"),
        ({"picture_url": "ftp://example.com/p.png"}, "picture_url"),
        ({"picture_url": "https://"}, "picture_url"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"legacy_id": "x" * 65}, "legacy_id"),
    ],
)
def test_registering_with_a_bad_field_names_it(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        registered(**overrides)
    assert caught.value.field == field


@given(when=gs.naive_datetimes)
def test_naive_datetimes_are_rejected(when: datetime) -> None:
    with pytest.raises(InvalidInput) as caught:
        User.register(email="a@example.com", name="A", clock=ManualClock(when))
    assert caught.value.field == "start"  # the clock itself refuses a naive start
    user = registered()
    user.last_active_at = when
    with pytest.raises(InvalidInput) as caught:
        User(**{**user.__dict__, "events": []})
    assert caught.value.field == "last_active_at"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * (MAX_NAME + 1)}, "name"),
        ({"picture_url": "not a url"}, "picture_url"),
        ({"timezone": "Nowhere/Land"}, "timezone"),
    ],
)
def test_a_bad_profile_change_changes_nothing(change: dict[str, str], field: str) -> None:
    user = registered(picture_url="https://example.com/a.png", timezone="Europe/Berlin")
    before = user.snapshot()
    with pytest.raises(InvalidInput) as caught:
        user.update_profile(clock=CLOCK, **{"name": "Valid new name", **change})  # type: ignore[arg-type]
    assert caught.value.field == field
    assert user.snapshot() == before


def test_profile_change_applies_every_field_and_moves_updated_at() -> None:
    user = registered(picture_url="https://example.com/a.png")
    clock = ManualClock(datetime(2026, 2, 1, tzinfo=UTC))
    user.update_profile(clock=clock, name="Ada L.", timezone="Asia/Kolkata", clear_picture=True)
    assert (user.name, user.timezone, user.picture_url, user.updated_at) == (
        "Ada L.",
        "Asia/Kolkata",
        None,
        clock.now(),
    )


@given(phases=st.lists(st.sampled_from(OnboardingPhase), min_size=1, max_size=6))
def test_onboarding_only_moves_forward_and_completes_once(phases: list[OnboardingPhase]) -> None:
    order = list(OnboardingPhase)
    user = registered()
    user.events.clear()
    for phase in phases:
        current = user.onboarding.phase
        if order.index(phase) < order.index(current):
            with pytest.raises(InvalidInput) as caught:
                user.update_onboarding(clock=CLOCK, phase=phase)
            assert caught.value.field == "onboarding.phase"
            assert user.onboarding.phase is current
        else:
            user.update_onboarding(clock=CLOCK, phase=phase)
            assert user.onboarding.phase is phase
    completed = OnboardingPhase.COMPLETED in phases
    assert [type(e) for e in user.events] == ([OnboardingCompleted] if completed else [])
    assert (user.onboarding.completed_at is not None) == (user.onboarding.phase is OnboardingPhase.COMPLETED)


@pytest.mark.parametrize(
    ("preferences", "field"),
    [
        ({"profession": "x" * 51}, "preferences.profession"),
        ({"custom_instructions": "x" * 501}, "preferences.custom_instructions"),
        ({"response_style": "a\x00"}, "preferences.response_style"),
    ],
)
def test_preferences_are_bounded(preferences: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Preferences(**preferences)
    assert caught.value.field == field


def test_unknown_onboarding_phase_is_rejected_without_change() -> None:
    user = registered()
    with pytest.raises(InvalidInput) as caught:
        user.update_onboarding(clock=CLOCK, phase="finished")
    assert caught.value.field == "onboarding.phase"
    assert user.onboarding.phase is OnboardingPhase.INITIAL


def test_marking_deleted_raises_user_deleted() -> None:
    user = registered()
    user.mark_deleted(CLOCK)
    assert [type(e) for e in user.events] == [UserRegistered, UserDeleted]


def test_equality_is_over_stored_state_not_pending_events() -> None:
    user = registered()
    twin = User(**{**user.__dict__, "events": []})
    assert twin == user
    twin.name = "Other"
    assert twin != user
