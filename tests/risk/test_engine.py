"""Example-based tests of the risk engine's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vigil.model import RiskDetail, RiskDetection, RiskLevel, RiskState, detection_id
from vigil.risk import (
    AgeOut,
    ConfirmCompromised,
    DetectionAdded,
    Dismiss,
    RiskSubject,
    initial_state,
    needs_age_out,
    transition,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SUBJECT = RiskSubject("sp-9", "Backup job", "app-9", "Application")


def det(
    level: RiskLevel, at: datetime = T0, n: int = 1, kind: str = "suspiciousSignins"
) -> RiskDetection:
    return RiskDetection(
        id=detection_id(kind, SUBJECT.id, str(n)),
        service_principal_id=SUBJECT.id,
        risk_event_type=kind,
        risk_level=level,
        risk_state=RiskState.atRisk,
        activity_date_time=at,
        detected_date_time=at,
        last_updated_date_time=at,
    )


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([RiskLevel.low], RiskLevel.low),
        ([RiskLevel.low, RiskLevel.high, RiskLevel.medium], RiskLevel.high),
        ([RiskLevel.medium, RiskLevel.low], RiskLevel.medium),
    ],
)
def test_level_is_the_highest_active(levels, expected):
    state = initial_state(SUBJECT, T0)
    for n, level in enumerate(levels):
        state = transition(state, DetectionAdded(det(level, n=n)), T0).state
    assert state.principal.risk_level == expected
    assert state.principal.risk_state == RiskState.atRisk


def test_dismiss_then_new_detection_returns_to_at_risk():
    state = transition(initial_state(SUBJECT, T0), DetectionAdded(det(RiskLevel.high)), T0).state
    dismissed = transition(state, Dismiss("alice"), T0)
    assert dismissed.history.activity_risk_event_types == ("suspiciousSignins",)
    assert [d.risk_state for d in dismissed.state.detections] == [RiskState.dismissed]
    again = transition(dismissed.state, DetectionAdded(det(RiskLevel.medium, n=2)), T0).state
    assert (again.principal.risk_state, again.principal.risk_level) == (
        RiskState.atRisk,
        RiskLevel.medium,
    )


def test_confirm_adds_admin_detection_and_keeps_state_on_new_detections():
    t = transition(initial_state(SUBJECT, T0), ConfirmCompromised("bob"), T0)
    added = t.changed_detections[-1]
    assert added.risk_event_type == "adminConfirmedServicePrincipalCompromised"
    assert added.risk_detail == RiskDetail.adminConfirmedServicePrincipalCompromised
    later = transition(t.state, DetectionAdded(det(RiskLevel.low, n=3)), T0 + timedelta(hours=1))
    assert later.state.principal.risk_state == RiskState.confirmedCompromised
    assert later.state.principal.risk_level == RiskLevel.high


def test_low_detections_age_out_after_180_days():
    state = transition(initial_state(SUBJECT, T0), DetectionAdded(det(RiskLevel.low)), T0).state
    assert not needs_age_out(state, T0 + timedelta(days=180))
    late = T0 + timedelta(days=181)
    assert needs_age_out(state, late)
    aged = transition(state, AgeOut(), late)
    assert (aged.state.principal.risk_level, aged.state.principal.risk_state) == (
        RiskLevel.none,
        RiskState.none,
    )
    assert aged.history.activity_risk_event_types == ("suspiciousSignins",)


def test_medium_detections_do_not_age_out():
    state = transition(initial_state(SUBJECT, T0), DetectionAdded(det(RiskLevel.medium)), T0).state
    assert not needs_age_out(state, T0 + timedelta(days=900))


def test_detection_ids_are_deterministic():
    assert detection_id("leakedCredentials", "sp", "key", "path") == detection_id(
        "leakedCredentials", "sp", "key", "path"
    )
    assert detection_id("leakedCredentials", "sp", "key", "path") != detection_id(
        "leakedCredentials", "sp", "keypath"
    )
    assert len(detection_id("x", "y")) == 52


def test_an_admin_action_already_done_is_recognised():
    from vigil.risk import Remediate, already_done

    state = transition(initial_state(SUBJECT, T0), DetectionAdded(det(RiskLevel.low)), T0).state
    assert not already_done(state, ConfirmCompromised("alice"))
    confirmed = transition(state, ConfirmCompromised("alice"), T0).state
    assert already_done(confirmed, ConfirmCompromised("bob"))
    assert not already_done(confirmed, Dismiss("bob"))
    # new evidence after the confirmation: confirming again closes it, so it is not a repeat
    later = transition(confirmed, DetectionAdded(det(RiskLevel.medium, n=2)), T0).state
    assert not already_done(later, ConfirmCompromised("bob"))

    dismissed = transition(state, Dismiss("alice"), T0).state
    assert already_done(dismissed, Dismiss("bob"))
    assert not already_done(dismissed, ConfirmCompromised("bob"))
    again = transition(dismissed, DetectionAdded(det(RiskLevel.low, n=3)), T0).state
    assert not already_done(again, Dismiss("bob"))
    remediated = transition(state, Remediate("alice"), T0).state
    assert already_done(remediated, Remediate("bob"))
    assert not already_done(initial_state(SUBJECT, T0), Dismiss("bob"))  # none -> dismissed

    from vigil.risk import SetEnabled

    assert already_done(state, SetEnabled("bob", True))  # enabled already
    disabled = transition(state, SetEnabled("alice", False), T0).state
    assert already_done(disabled, SetEnabled("bob", False))
    assert not already_done(disabled, SetEnabled("bob", True))
