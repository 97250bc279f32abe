"""Property tests of the risk engine: a hypothesis state machine drives random action sequences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from vigil.model import (
    RiskDetail,
    RiskDetection,
    RiskEventType,
    RiskLevel,
    RiskState,
    detection_id,
)
from vigil.risk import (
    LOW_RISK_LIFETIME,
    AgeOut,
    ConfirmCompromised,
    DetectionAdded,
    Dismiss,
    Remediate,
    RiskSubject,
    SetEnabled,
    active_detections,
    initial_state,
    transition,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
SUBJECT = RiskSubject("sp-1", "Payroll daemon", "app-1", "Application")
LEVELS = [RiskLevel.low, RiskLevel.medium, RiskLevel.high]
RANK = {RiskLevel.none: 0, RiskLevel.low: 1, RiskLevel.medium: 2, RiskLevel.high: 3}


class RiskMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.state = initial_state(SUBJECT, self.now)
        self.history: list = []
        self.last_action: object = None
        self.counter = 0
        self.prev_state = RiskState.none

    def _apply(self, action: object) -> None:
        self.prev_state = self.state.principal.risk_state
        before = list(self.history)
        result = transition(self.state, action, self.now)  # type: ignore[arg-type]
        self.history.append(result.history)
        # History is append-only: the old items are untouched, exactly one was added.
        assert self.history[: len(before)] == before
        assert len(self.history) == len(before) + 1
        assert result.history.sequence == self.state.sequence + 1
        assert result.history.principal == result.state.principal
        self.state = result.state
        self.last_action = action

    @rule(days=st.integers(min_value=0, max_value=200), hours=st.integers(0, 23))
    def advance(self, days: int, hours: int) -> None:
        self.now += timedelta(days=days, hours=hours)

    @rule(
        level=st.sampled_from(LEVELS),
        age_days=st.integers(min_value=0, max_value=400),
        kind=st.sampled_from(list(RiskEventType)),
    )
    def add_detection(self, level: RiskLevel, age_days: int, kind: RiskEventType) -> None:
        self.counter += 1
        at = self.now - timedelta(days=age_days)
        d = RiskDetection(
            id=detection_id(kind, SUBJECT.id, str(self.counter)),
            service_principal_id=SUBJECT.id,
            risk_event_type=kind,
            risk_level=level,
            risk_state=RiskState.atRisk,
            activity_date_time=at,
            detected_date_time=self.now,
            last_updated_date_time=self.now,
        )
        self._apply(DetectionAdded(d))

    @rule()
    def confirm(self) -> None:
        self._apply(ConfirmCompromised("admin@contoso"))
        p = self.state.principal
        assert p.risk_level == RiskLevel.high
        assert p.risk_state == RiskState.confirmedCompromised
        assert p.risk_detail == RiskDetail.adminConfirmedServicePrincipalCompromised
        admin = [
            d
            for d in self.state.detections
            if d.risk_event_type == RiskEventType.adminConfirmedServicePrincipalCompromised
        ]
        assert admin and admin[-1].activity_date_time == self.now
        assert self.history[-1].initiated_by == "admin@contoso"

    @rule()
    def dismiss(self) -> None:
        self._apply(Dismiss("admin@contoso"))
        p = self.state.principal
        assert (p.risk_state, p.risk_level, p.risk_detail) == (
            RiskState.dismissed,
            RiskLevel.none,
            RiskDetail.adminDismissedAllRiskForServicePrincipal,
        )
        assert not any(d.is_open for d in self.state.detections)

    @rule()
    def remediate(self) -> None:
        self._apply(Remediate("admin@contoso"))
        assert self.state.principal.risk_state == RiskState.remediated

    @rule(enabled=st.booleans())
    def set_enabled(self, enabled: bool) -> None:
        # Enabling/disabling changes no risk, apart from the aging every transition applies.
        aged = transition(self.state, AgeOut(), self.now).state.principal
        self._apply(SetEnabled("admin@contoso", enabled))
        after = self.state.principal
        assert after.is_enabled is enabled
        assert (after.risk_state, after.risk_level, after.risk_detail) == (
            aged.risk_state, aged.risk_level, aged.risk_detail)

    @precondition(lambda self: self.state.sequence > 0)
    @rule()
    def age_out(self) -> None:
        self._apply(AgeOut())

    @invariant()
    def level_is_highest_active(self) -> None:
        active = active_detections(
            self.state.detections, self.state.principal.risk_last_updated_date_time
        )
        expected = max((RANK[d.risk_level] for d in active), default=0)
        assert RANK[self.state.principal.risk_level] == expected

    @invariant()
    def aged_low_detections_do_not_count(self) -> None:
        at = self.state.principal.risk_last_updated_date_time
        for d in active_detections(self.state.detections, at):
            assert not (
                d.risk_level == RiskLevel.low and at - d.activity_date_time > LOW_RISK_LIFETIME
            )

    @invariant()
    def dismissed_returns_to_risk_only_through_a_detection(self) -> None:
        if self.prev_state == RiskState.dismissed and self.state.principal.risk_state in (
            RiskState.atRisk,
            RiskState.confirmedCompromised,
        ):
            assert isinstance(self.last_action, DetectionAdded | ConfirmCompromised)
            if self.state.principal.risk_state == RiskState.atRisk:
                assert isinstance(self.last_action, DetectionAdded)

    @invariant()
    def confirmed_means_high(self) -> None:
        if self.state.principal.risk_state == RiskState.confirmedCompromised:
            assert self.state.principal.risk_level == RiskLevel.high

    @invariant()
    def sequence_matches_history(self) -> None:
        assert self.state.sequence == len(self.history)
        assert [h.sequence for h in self.history] == list(range(1, len(self.history) + 1))
        assert len({h.id for h in self.history}) == len(self.history)


RiskMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
TestRiskMachine = RiskMachine.TestCase
