"""investigationsThreatIntelligence: indicator matches, password spray, disabled principals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from behaviour_sim import MemoryContext, batches, run

from vigil.detections.investigations_threat_intelligence import InvestigationsThreatIntelligence
from vigil.detections.password_spray import MIN_TARGETS
from vigil.intel.indicator import Indicator, IndicatorKind
from vigil.intel.matching import IndicatorSet
from vigil.model import (
    AuditEvent,
    AuditTarget,
    GraphActivity,
    ModifiedProperty,
    RiskLevel,
    ServicePrincipal,
    SignIn,
    SignInKind,
)

T0 = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)
SPRAY_IP = "45.9.148.10"


def sign_in(n: int, sp: str, t: datetime, ip: str, error: int = 0, **kw) -> SignIn:
    return SignIn(id=f"s{n:04d}-{sp}", created_date_time=t, kind=SignInKind.servicePrincipal,
                  service_principal_id=sp, app_id=f"app-{sp}", ip_address=ip, error_code=error,
                  **kw)


def sps(n: int) -> list[ServicePrincipal]:
    return [ServicePrincipal(id=f"sp{i:02d}", app_id=f"app-sp{i:02d}", display_name=f"app {i}")
            for i in range(n)]


class Fixed:
    def __init__(self, *indicators: Indicator) -> None:
        self.set = IndicatorSet(indicators)

    def current(self) -> IndicatorSet:
        return self.set


def spray(targets: int, winners: tuple[int, ...]) -> list[SignIn]:
    out, t = [], T0
    for i in range(targets):
        t += timedelta(seconds=70)
        out.append(sign_in(i, f"sp{i:02d}", t, SPRAY_IP, 7000215))
    for w in winners:
        t += timedelta(minutes=3)
        out.append(sign_in(100 + w, f"sp{w:02d}", t, SPRAY_IP, credential_key_id=f"k{w}"))
    # the targets' own traffic from their usual address, and an unrelated failure
    out += [sign_in(200 + i, f"sp{i:02d}", T0 + timedelta(minutes=i), "20.1.1.1")
            for i in range(targets)]
    out.append(sign_in(300, "sp01", T0 + timedelta(hours=2), "20.1.1.1", 7000215))
    return sorted(out, key=lambda s: s.created_date_time)


@pytest.mark.parametrize("size", [1, 7, 5000])
def test_spray_targets_low_and_winners_high_whatever_the_batches(size):
    principals = sps(12)
    found = run(InvestigationsThreatIntelligence(), batches(spray(12, (3, 9)), size),
                MemoryContext(sps=principals))
    levels = {d.service_principal_id: d.risk_level for d in found.values()}
    assert levels == {f"sp{i:02d}": (RiskLevel.high if i in (3, 9) else RiskLevel.low)
                      for i in range(12)}
    high = next(d for d in found.values() if d.service_principal_id == "sp03")
    info = {e.key: e.value for e in high.additional_info}
    assert (high.ip_address, high.key_ids, info["pattern"]) == (SPRAY_IP, ("k3",),
                                                               "passwordSpray")
    assert high.activity_date_time == T0 + timedelta(seconds=70 * 4)  # its first failure


def test_too_few_targets_is_not_a_spray():
    found = run(InvestigationsThreatIntelligence(),
                batches(spray(MIN_TARGETS - 1, (2,)), 100), MemoryContext(sps=sps(12)))
    assert found == {}


def test_indicator_matches_sign_ins_and_graph_requests():
    tor = Indicator("indicator--tor", IndicatorKind.ip, "185.220.100.0/22", "feed",
                    valid_from=T0 - timedelta(days=5), labels=("malicious-activity",),
                    confidence=90)
    ua = Indicator("indicator--ua", IndicatorKind.user_agent, "azurehound/v2.2.1", "feed",
                   labels=("malicious-activity",), confidence=40)
    later = Indicator("indicator--later", IndicatorKind.ip, "198.51.100.0/24", "feed",
                      valid_from=T0 + timedelta(days=1), labels=("malicious-activity",))
    records = [
        sign_in(1, "sp01", T0 + timedelta(minutes=5), "185.220.101.4", 7000215),
        sign_in(2, "sp01", T0 + timedelta(minutes=9), "185.220.101.4"),
        sign_in(3, "sp02", T0, "198.51.100.9"),  # before the indicator's valid_from
    ]
    graph = GraphActivity(id="g1", time=T0 + timedelta(minutes=20), request_method="GET",
                          request_uri="https://graph.microsoft.com/v1.0/users",
                          response_status_code=200, service_principal_id="sp02",
                          ip_address="10.0.0.1", user_agent="AzureHound/v2.2.1")
    stream = [*batches(records, 1), *batches([graph], 1)]
    found = run(InvestigationsThreatIntelligence(Fixed(tor, ua, later)), stream,
                MemoryContext(sps=sps(3)))
    by = {(d.service_principal_id, next(e.value for e in d.additional_info
                                        if e.key == "indicatorId")): d for d in found.values()}
    assert set(by) == {("sp01", "indicator--tor"), ("sp02", "indicator--ua")}
    tor_hit = by[("sp01", "indicator--tor")]
    # the earliest match dates it; the successful sign-in makes it high and is described
    assert tor_hit.activity_date_time == T0 + timedelta(minutes=5)
    assert (tor_hit.risk_level, tor_hit.request_id) == (RiskLevel.high, "s0002-sp01")
    assert by[("sp02", "indicator--ua")].risk_level is RiskLevel.medium  # not verified


def test_successful_sign_in_of_a_disabled_principal():
    disable = AuditEvent(
        id="a1", activity_date_time=T0, activity_display_name="Update service principal",
        result="success", targets=(AuditTarget(id="sp01", type="ServicePrincipal",
                                               modified_properties=(ModifiedProperty(
                                                   "AccountEnabled", "[true]", "[false]"),)),))
    enable = AuditEvent(
        id="a2", activity_date_time=T0 + timedelta(hours=5),
        activity_display_name="Update service principal", result="success",
        targets=(AuditTarget(id="sp01", type="ServicePrincipal", modified_properties=(
            ModifiedProperty("AccountEnabled", "[false]", "[true]"),)),))
    records = [
        sign_in(1, "sp01", T0 - timedelta(hours=1), "20.1.1.1"),  # before: fine
        disable,
        sign_in(2, "sp01", T0 + timedelta(hours=1), "20.1.1.1", 7000112),  # refused: fine
        sign_in(3, "sp01", T0 + timedelta(hours=2), "5.5.5.5"),  # succeeded while disabled
        sign_in(4, "sp01", T0 + timedelta(hours=3), "5.5.5.6"),
        enable,
        sign_in(5, "sp01", T0 + timedelta(hours=6), "20.1.1.1"),
    ]
    found = run(InvestigationsThreatIntelligence(), batches(records, 2), MemoryContext(sps=sps(2)))
    (d,) = found.values()
    assert (d.activity_date_time, d.risk_level, d.ip_address) == (
        T0 + timedelta(hours=2), RiskLevel.high, "5.5.5.5")


def enabled(n: int, t: datetime, value: bool) -> AuditEvent:
    old, new = ("[true]", "[false]") if not value else ("[false]", "[true]")
    return AuditEvent(
        id=f"a{n}", activity_date_time=t, activity_display_name="Update service principal",
        result="success", targets=(AuditTarget(id="sp01", type="ServicePrincipal",
                                               modified_properties=(ModifiedProperty(
                                                   "AccountEnabled", old, new),)),))


@pytest.mark.parametrize("size", [1, 3, 100])
@pytest.mark.parametrize("audit_first", [False, True], ids=["time-order", "audit-first"])
def test_a_disabled_period_is_found_whatever_the_order_and_batches(size, audit_first):
    """Disabled 04:00-09:00, again from 12:00: the audit log read before the sign-ins (as a
    folder ingest reads it), or one batch holding the whole period (a rebuild), used to leave
    only the period open at the batch's end, so the 06:00 sign-in was missed."""
    audit = [enabled(1, T0, False), enabled(2, T0 + timedelta(hours=5), True),
             enabled(3, T0 + timedelta(hours=8), False)]
    signs = [sign_in(1, "sp01", T0 + timedelta(hours=2), "5.5.5.5"),
             sign_in(2, "sp01", T0 + timedelta(hours=3), "5.5.5.6"),
             sign_in(3, "sp01", T0 + timedelta(hours=6), "20.1.1.1"),  # enabled again: fine
             sign_in(4, "sp01", T0 + timedelta(hours=9), "6.6.6.6")]
    records = audit + signs if audit_first else sorted(
        audit + signs, key=lambda r: r.activity_date_time if isinstance(r, AuditEvent)
        else r.created_date_time)
    found = run(InvestigationsThreatIntelligence(), batches(records, size),
                MemoryContext(sps=sps(2)))
    assert sorted((d.activity_date_time, d.ip_address, d.risk_level) for d in found.values()) == [
        (T0 + timedelta(hours=2), "5.5.5.5", RiskLevel.high),
        (T0 + timedelta(hours=9), "6.6.6.6", RiskLevel.high),
    ]


def test_a_disabled_index_of_version_1_is_read():
    """A store written before the index kept every change: its open periods still count."""
    ctx = MemoryContext(sps=sps(2))
    ctx.save_state("investigationsThreatIntelligence", "disabled:index",
                   {"version": 1, "periods": {"sp01": [T0.isoformat(), "a1"]}})
    found = run(InvestigationsThreatIntelligence(),
                batches([sign_in(1, "sp01", T0 + timedelta(hours=1), "5.5.5.5"),
                         enabled(2, T0 + timedelta(hours=2), True),
                         sign_in(2, "sp01", T0 + timedelta(hours=3), "5.5.5.6")], 1), ctx)
    assert [(d.activity_date_time, d.ip_address) for d in found.values()] == [
        (T0 + timedelta(hours=1), "5.5.5.5")]
