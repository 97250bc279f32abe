"""Feature profiles: learning period, scoring, fading on maintenance days, versioned state."""

from __future__ import annotations

import pytest

from vigil.baseline import DAY, Fading, FeatureProfile, LearningPeriod

CAPS = {"ip": 4, "cc": 4}


def profile(n: int, start: int = 0, every: int = 3600) -> FeatureProfile:
    p = FeatureProfile(CAPS)
    for i in range(n):
        t = start + i * every
        p.maintain(t, Fading())
        p.learn_one({"ip": "1.2.3.4", "cc": "NL"}, t)
    return p


@pytest.mark.parametrize(
    ("n", "every", "learning"),
    [(10, 3600, True), (30, 3600, True), (200, 3600, False), (5, 86_400, True), (40, 86_400, False)],
)
def test_learning_needs_both_days_and_observations(n, every, learning):
    p = profile(n, every=every)
    reason = p.learning(p.last or 0, LearningPeriod(7, 30), "sign-ins")
    assert (reason is not None) == learning
    if reason:
        assert reason.startswith("learning: ") and "of 30 sign-ins" in reason


@pytest.mark.parametrize(
    ("days", "n", "reason"),
    [
        (27.9, 10, "learning: 27.9 of 7 days, 10 of 30 sign-ins (or 28 days and 5 sign-ins)"),
        (28.0, 4, "learning: 28.0 of 7 days, 4 of 30 sign-ins (or 28 days and 5 sign-ins)"),
        (28.0, 5, None),
        (6.0, 40, "learning: 6.0 of 7 days, 40 of 30 sign-ins (or 28 days and 5 sign-ins)"),
        (7.0, 30, None),
    ],
)
def test_a_sparse_profile_ends_learning_after_the_longer_span(days, n, reason):
    period = LearningPeriod(7, 30, sparse_days=28, sparse_min_observations=5)
    assert period.reason(0, int(days * DAY), n, "sign-ins") == reason
    assert LearningPeriod(7, 30).reason(0, int(days * DAY), n) == (
        None if n >= 30 and days >= 7 else f"learning: {days:.1f} of 7 days, {n} of 30 observations")


def test_score_lists_only_unfamiliar_present_features():
    p = profile(200)
    bits = p.score_one({"ip": "5.6.7.8", "cc": "NL"}, 12.0)
    assert list(bits) == ["ip"] and bits["ip"] > 6
    assert p.score_one({"ip": None, "cc": "NL"}, 12.0) == {}


def test_maintenance_forgets_values_unseen_for_forget_days():
    p = profile(24)
    p.learn_one({"ip": "9.9.9.9", "cc": "NL"}, 30 * DAY)
    t = 80 * DAY
    assert p.due(t)
    assert p.maintain(t, Fading(forget_days=60, halve_days=30, every_days=7)) is True
    assert "1.2.3.4" not in p.features["ip"].v
    assert "9.9.9.9" in p.features["ip"].v
    assert not p.due(t + DAY)


def test_state_round_trip_and_unknown_versions_start_afresh():
    p = profile(50)
    p.extra["ep"] = {"id": "x"}
    state = p.to_state()
    assert FeatureProfile.from_state(state, CAPS) == p
    assert FeatureProfile.from_state({**state, "version": 99}, CAPS) == FeatureProfile(CAPS)
    assert FeatureProfile.from_state(None, CAPS) == FeatureProfile(CAPS)
