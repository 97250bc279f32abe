"""Admins' verdicts teach suspiciousSignins: a dismissed detection's sign-ins are learned, a
remediated one's are not, and a verdict ends the episode (vigil.detections.verdicts).

Records go through the real store and the risk service, on SQLite and PostgreSQL, and a rebuild
after the verdicts gives the same detections.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from behaviour_sim import feed

from vigil.app import App, build
from vigil.model import (
    ClientCredentialType,
    GraphActivity,
    Location,
    RiskDetection,
    RiskLevel,
    RiskState,
    SignIn,
    SignInKind,
)
from vigil.settings import load_settings
from vigil.store.schema import upgrade

SP, APP = "5b3a9c1e-7f2d-4e8a-b6c4-1d9e0f2a3b4c", "0c4e8b2a-6d1f-4a3e-9b7c-2e5f8a1d4c6b"
T0 = datetime(2026, 3, 2, tzinfo=UTC)
AFTER = T0 + timedelta(days=30, hours=5)
#: A weekly job run from another country and provider with another client: high on a profile
#: that only ever signed in from one Azure address.
ABROAD: dict[str, Any] = dict(ip_address="139.59.1.2", asn=14061, is_hosting=True,
                              location=Location(country_or_region="IN"),
                              user_agent="python-requests/2.32.3")
#: Another departure again: a residential network in Brazil.
ELSEWHERE: dict[str, Any] = dict(ip_address="177.10.20.30", asn=28573, is_hosting=False,
                                 location=Location(country_or_region="BR"),
                                 user_agent="curl/8.9.1")
_n = [0]


def signin(at: datetime, **kw: Any) -> SignIn:
    _n[0] += 1
    base: dict[str, Any] = dict(
        id=f"00000000-0000-4000-8000-{_n[0]:012d}", created_date_time=at,
        kind=SignInKind.servicePrincipal, service_principal_id=SP, app_id=APP,
        service_principal_name="billing-sync", ip_address="20.61.3.4",
        location=Location(country_or_region="NL"), asn=8075, is_hosting=True, resource_id="r-kv",
        client_credential_type=ClientCredentialType.clientSecret,
        credential_key_id="3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        user_agent="azsdk-python-identity/1.17.1 Python/3.11.9 (Linux)",
        correlation_id=f"c-{_n[0]}")
    base.update(kw)
    return SignIn(**base)


@pytest.fixture
def app(db_url: str, clock: Any) -> App:
    # the clock follows the records (:func:`feed`): an admin's verdict comes after what was fed
    a = build(load_settings(database_url=db_url), clock=clock, check_schema=False)
    upgrade(a.store.engine)
    feed(a, [signin(T0 + timedelta(hours=h)) for h in range(30 * 24)])
    return a


def suspicious(app: App) -> dict[str, RiskDetection]:
    found = app.store.risk.list_detections()
    return {d.id: d for d in found if d.risk_event_type == "suspiciousSignins"}


def state(app: App) -> RiskState:
    risky = app.store.risk.risky(SP)
    assert risky is not None
    return risky.risk_state


def weekly(week: int, **kw: Any) -> list[SignIn]:
    """The job's sign-ins in week ``week`` after the history: three in ten minutes."""
    start = AFTER + timedelta(days=7 * week)
    return [signin(start + timedelta(minutes=m), **{**ABROAD, **kw}) for m in (0, 5, 10)]


def test_without_a_verdict_the_same_job_is_flagged_every_week(app: App) -> None:
    feed(app, weekly(0))
    feed(app, weekly(1))
    assert len(suspicious(app)) == 2
    assert state(app) == RiskState.atRisk


def test_a_dismissed_detection_is_learned_so_the_job_no_longer_raises_risk(app: App) -> None:
    feed(app, weekly(0))
    (first,) = suspicious(app).values()
    assert first.risk_level == RiskLevel.high
    app.risk.dismiss([SP], actor="admin@contoso.com")
    feed(app, weekly(1))
    feed(app, weekly(2))
    assert list(suspicious(app)) == [first.id]
    assert state(app) == RiskState.dismissed


def test_a_remediated_detection_is_never_learned(app: App) -> None:
    feed(app, weekly(0))
    app.risk.remediate([SP], actor="admin@contoso.com")
    feed(app, weekly(1))
    assert len(suspicious(app)) == 2
    assert state(app) == RiskState.atRisk


def test_an_open_detection_is_not_learned(app: App) -> None:
    feed(app, weekly(0))
    feed(app, weekly(0, ip_address="139.59.1.3"))  # more of the same, still unanswered
    feed(app, weekly(1))
    assert len(suspicious(app)) == 2


def test_a_new_departure_after_a_dismissal_is_a_new_detection(app: App) -> None:
    feed(app, weekly(0))
    app.risk.dismiss([SP], actor="admin@contoso.com")
    (first,) = suspicious(app).values()
    # an hour later, inside the dismissed episode's 12-hour gap: it used to grow the dismissed
    # detection in place, unseen, with the principal left dismissed
    later = signin(AFTER + timedelta(hours=1), **ELSEWHERE)
    feed(app, [later])
    found = suspicious(app)
    assert len(found) == 2
    new = next(d for d in found.values() if d.id != first.id)
    assert new.request_id == later.id and new.risk_state == RiskState.atRisk
    assert found[first.id] == first  # the dismissed one keeps the evidence it was dismissed on
    assert state(app) == RiskState.atRisk


def test_a_rebuild_after_verdicts_gives_the_same_detections(app: App) -> None:
    feed(app, weekly(0))
    app.risk.dismiss([SP], actor="admin@contoso.com")
    feed(app, weekly(1))
    feed(app, [signin(AFTER + timedelta(days=7, hours=1), **ELSEWHERE)])
    feed(app, weekly(2, **ELSEWHERE))
    app.risk.remediate([SP], actor="admin@contoso.com")
    feed(app, weekly(3, **ELSEWHERE))
    before = suspicious(app)
    history = app.store.risk.history(SP)
    assert len(before) == 4  # week 0 (dismissed), the departure, week 2, week 3
    assert app.detection.rebuild() == 0
    assert suspicious(app) == before
    assert app.store.risk.history(SP) == history


def test_a_verdict_given_late_gives_the_same_detections_on_a_rebuild(app: App) -> None:
    """The admin answers a week late, after the job ran again (a second detection) with another
    departure an hour after it: streaming learned nothing before the verdict, so neither may the
    rebuild (it learned week 0's job at once and made the departure a new detection, at risk)."""
    usual = [signin(AFTER + timedelta(hours=h)) for h in range(1, 24 * 14)]
    feed(app, weekly(0))
    feed(app, usual[: 24 * 7])
    feed(app, [*weekly(1), signin(AFTER + timedelta(days=7, hours=1), **ELSEWHERE)])
    feed(app, usual[24 * 7:])
    app.risk.dismiss([SP], actor="admin@contoso.com")
    before = suspicious(app)
    history = app.store.risk.history(SP)
    assert len(before) == 2
    assert app.detection.rebuild() == 0
    assert suspicious(app) == before
    assert app.store.risk.history(SP) == history
    assert state(app) == RiskState.dismissed



def test_a_detection_confirmed_compromised_then_dismissed_is_never_learned(app: App) -> None:
    """Confirmed compromised, then dismissed once the credentials were rotated: the attacker's
    properties stay unfamiliar."""
    feed(app, weekly(0))
    app.risk.confirm_compromised([SP], actor="admin@contoso.com")
    app.risk.dismiss([SP], actor="admin@contoso.com")
    feed(app, weekly(1))
    assert len(suspicious(app)) == 2
    assert state(app) == RiskState.atRisk


# -- suspiciousAPITraffic ------------------------------------------------------------------------

GRAPH_SP = "d4d4d4d4-0000-4000-8000-000000000004"
EXPORT = ["/organization", "/domains", "/devices?$top=999", "/servicePrincipals?$top=999",
          "/applications?$top=999", "/contacts?$top=999"]


def call(at: datetime, path: str = "/users/delta?$select=id") -> GraphActivity:
    _n[0] += 1
    return GraphActivity(id=f"00000000-0000-4000-9000-{_n[0]:012d}", time=at,
                         request_method="GET", request_uri="https://graph.microsoft.com/v1.0" + path,
                         response_status_code=200, service_principal_id=GRAPH_SP, app_id="app-d4",
                         ip_address="20.61.3.4", user_agent="azsdk-python-identity/1.17.1",
                         response_size_bytes=20_000)


def traffic(app: App) -> dict[str, RiskDetection]:
    found = app.store.risk.list_detections()
    return {d.id: d for d in found if d.risk_event_type == "suspiciousAPITraffic"}


def test_a_dismissed_flagged_hour_gives_the_same_detections_on_a_rebuild(app: App) -> None:
    """An export's hour is flagged and dismissed while it runs; the export goes on in the next
    hour. Streaming learned the dismissed hour as the next one started (the verdict came before
    it), so the next hour is not flagged; the rebuild must not flag it either. (Closing the
    flagged hour rewrote the dismissed detection with the hour's totals, which moved its
    lastUpdatedDateTime past the next hour's start, and the rebuild took that for the time of
    the verdict.)"""
    start = T0 + timedelta(days=30)
    feed(app, [call(start + timedelta(hours=h, minutes=m))
                     for h in range(14 * 24) for m in (5, 25, 45)])
    hour = start + timedelta(days=14, hours=2)
    feed(app, [call(hour + timedelta(seconds=i), p) for i, p in enumerate(EXPORT)])
    (flagged,) = traffic(app).values()
    app.risk.dismiss([GRAPH_SP], actor="admin@contoso.com")
    nxt = hour + timedelta(hours=1)
    feed(app, [call(nxt + timedelta(seconds=i), p) for i, p in enumerate(EXPORT)])
    before = traffic(app)
    assert list(before) == [flagged.id]
    assert app.detection.rebuild() == 0
    assert traffic(app) == before
