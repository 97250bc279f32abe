"""Retro-matching: an indicator added after ingest yields the detection at the original time,
the same one inline matching gives; validity windows and revocation are honoured."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from vigil.app import build
from vigil.ingest.pipeline import NewRecords
from vigil.intel.indicator import IndicatorKind
from vigil.intel.service import IntelSummary, intel_service
from vigil.model import RiskLevel, ServicePrincipal, SignIn, SignInKind
from vigil.settings import load_settings

NOW = datetime(2026, 11, 2, tzinfo=UTC)
SP = "44444444-0000-0000-0000-000000000001"
T_BAD = datetime(2026, 10, 21, 11, 9, 34, tzinfo=UTC)


def _sign_ins() -> list[SignIn]:
    def s(i: int, t: datetime, ip: str, error: int = 0) -> SignIn:
        return SignIn(id=f"si-{i}", created_date_time=t, kind=SignInKind.servicePrincipal,
                      service_principal_id=SP, app_id="app-1", ip_address=ip, error_code=error,
                      credential_key_id="key-1", user_agent="python-requests/2.32.3")
    return [s(1, T_BAD - timedelta(days=3), "20.50.1.1"),
            s(2, T_BAD, "185.220.101.7"),
            s(3, T_BAD + timedelta(minutes=30), "185.220.101.9", 7000215),
            s(4, T_BAD + timedelta(hours=1), "198.51.100.77")]


def _bundle(tmp_path, *indicators) -> str:
    objects = [{"type": "indicator", "spec_version": "2.1", "id": f"indicator--{n}",
                "pattern": f"[ipv4-addr:value = '{v}']", "pattern_type": "stix",
                "valid_from": vf, "indicator_types": ["malicious-activity"], "confidence": 90,
                "name": f"ind {n}", **extra}
               for n, v, vf, extra in indicators]
    p = tmp_path / "feed.json"
    p.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": objects}))
    return p


@pytest.fixture
def app(db_url):
    settings = load_settings(database_url=db_url)
    a = build(settings, clock=lambda: NOW, check_schema=False)
    from vigil.store.schema import upgrade

    upgrade(a.store.engine)
    a.store.inventory.upsert_service_principals(
        [(ServicePrincipal(id=SP, app_id="app-1", display_name="Account Provisioning"), None)], NOW)
    yield a
    a.close()


def _store_sign_ins(app) -> None:
    app.store.activity.add_sign_ins([(s, None) for s in _sign_ins()])


def test_new_indicator_matches_stored_activity_at_its_time(app, tmp_path):
    _store_sign_ins(app)
    feed = _bundle(tmp_path,
                   ("tor", "185.220.101.0/24", "2026-10-01T00:00:00Z", {}),
                   ("later", "198.51.100.77", "2026-10-25T00:00:00Z", {}),
                   ("revoked", "20.50.1.1", "2026-01-01T00:00:00Z", {"revoked": True}))
    summary = intel_service(app).add([feed])
    assert summary.retro_detections >= 1
    (d,) = app.store.risk.list_detections()
    info = {e.key: e.value for e in d.additional_info}
    assert (d.activity_date_time, d.risk_level, d.request_id) == (T_BAD, RiskLevel.high, "si-2")
    assert (info["indicatorId"], info["feed"], info["validFrom"]) == (
        "indicator--tor", "feed", "2026-10-01T00:00:00+00:00")
    assert d.key_ids == ("key-1",) and d.ip_address == "185.220.101.7"
    # adding the same feed again changes nothing
    assert intel_service(app).add([feed]).retro_detections == 0
    assert len(app.store.risk.list_detections()) == 1


def test_inline_matching_gives_the_same_detection(app, tmp_path):
    feed = _bundle(tmp_path, ("tor", "185.220.101.0/24", "2026-10-01T00:00:00Z", {}))
    service = intel_service(app)
    service.add([feed])
    with app.store.engine.begin() as conn:
        app.store.activity.add_sign_ins([(s, None) for s in _sign_ins()], conn)
        app.detection.observe(conn, NewRecords(sign_ins=_sign_ins()))
        app.detection.commit(conn)
    (inline,) = app.store.risk.list_detections()
    assert (inline.activity_date_time, inline.request_id) == (T_BAD, "si-2")
    # retro-matching the same indicator from scratch finds the very same detection
    app.store.detector_state.clear()
    summary = IntelSummary()
    service.retro_match(service.list(), summary)
    assert summary.retro_records == 2 and summary.retro_detections == 0
    assert app.store.risk.list_detections() == [inline]


def test_expired_indicator_does_not_match(app, tmp_path):
    _store_sign_ins(app)
    feed = _bundle(tmp_path, ("old", "185.220.101.0/24", "2026-01-01T00:00:00Z",
                              {"valid_until": "2026-10-01T00:00:00Z"}))
    assert intel_service(app).add([feed]).retro_detections == 0
    assert app.store.risk.list_detections() == []


def test_add_replace_makes_a_feed_what_its_file_holds(app, tmp_path):
    """A list published whole each day: without --replace, addresses dropped from it stayed
    stored and kept matching."""
    svc = intel_service(app)
    tor = tmp_path / "tor.txt"
    tor.write_text("185.220.101.1\n185.220.101.2\n")
    svc.add([tor], source="tor", retro=False)
    tor.write_text("185.220.101.2\n185.220.101.3\n")
    svc.add([tor], source="tor", retro=False)
    assert sorted(i.value for i in svc.list("tor")) == [
        "185.220.101.1/32", "185.220.101.2/32", "185.220.101.3/32"]
    other = tmp_path / "team.txt"
    other.write_text("203.0.113.7\n")
    svc.add([other], source="team", retro=False)
    summary = svc.add([tor], source="tor", retro=False, replace=True)
    assert summary.removed == 1
    assert sorted(i.value for i in svc.list("tor")) == ["185.220.101.2/32", "185.220.101.3/32"]
    assert [i.value for i in svc.list("team")] == ["203.0.113.7/32"]
    tor.write_text("# the feed was down: nothing in it\n")
    assert svc.add([tor], source="tor", retro=False, replace=True).removed == 0
    assert len(svc.list("tor")) == 2


def test_a_user_agent_retro_matches_as_it_matches_live(app, tmp_path):
    """Retro-matching picked candidates with SQL lower(), which folds ASCII only on SQLite and
    trims nothing: a stored 'ÉvilBot/1.0' (or one with spaces around it) matched the indicator
    'évilbot/1.0' live but never in retro-matching."""
    from dataclasses import replace

    base = _sign_ins()[1]
    app.store.activity.add_sign_ins([
        (replace(base, id="ua-1", user_agent="ÉvilBot/1.0"), None),
        (replace(base, id="ua-2", user_agent=" évilbot/1.0 ", ip_address="20.50.1.2"), None),
        (replace(base, id="ua-3", user_agent="python-requests/2.32.3", ip_address="20.50.1.3"), None),
    ])
    uas = tmp_path / "uas.txt"
    uas.write_text("évilbot/1.0\n")
    summary = intel_service(app).add([uas], source="tools", kind=IndicatorKind.user_agent)
    assert summary.retro_detections == 1
    (d,) = app.store.risk.list_detections()
    evidence = {e.key: e.value for e in d.additional_info}
    assert d.risk_event_type == "investigationsThreatIntelligence" and d.request_id == "ua-1"
    assert evidence["matchedField"] == "userAgent"
