"""Streaming ingest (small batches, detectors inline) and ``vigil detect --rebuild`` agree.

A simulated tenant with the behavioural scenarios is ingested twice: once folder by folder with
the detectors inline in batches of 300 records (audit before Graph activity before inventory
before sign-ins, as ``vigil ingest DIR`` reads it), once without detectors and then rebuilt in
time order with batches of 700. The detections, as the tuples that matter, must be the same; and
a rebuild of the streamed store must leave detections, risk state and history exactly as they
are: the replay emits an episode cut by a batch boundary again as its evidence grows back, and
only the last version may be recorded, or the stored detection goes back to partial evidence and a
lower level on the way.
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from behaviour_sim import app_on, detection_rows, ingest, simulated

MINE = ("suspiciousSignins", "anomalousServicePrincipalActivity", "suspiciousAPITraffic")


@pytest.fixture(scope="module")
def tenant(tmp_path_factory):
    root = tmp_path_factory.mktemp("streaming")
    return simulated(root, "sim", seed=5, days=16, sps=40,
                     scenarios=("stolen-secret", "sp-takeover", "graph-recon"))


@pytest.mark.slow
def test_streaming_equals_rebuild(tenant, tmp_path):
    streamed = app_on(tmp_path / "streamed.db")
    ingest(streamed, tenant, detect=True, batch_size=300)
    rebuilt = app_on(tmp_path / "rebuilt.db")
    ingest(rebuilt, tenant, detect=False)
    rebuilt.detection.rebuild(batch_size=700)

    got = detection_rows(streamed.store.risk.list_detections())
    want = detection_rows(rebuilt.store.risk.list_detections())
    assert {r[1] for r in want} >= set(MINE), "the scenarios should trigger every behavioural type"
    only_streamed = sorted((r[1], r[2], r[0]) for r in got - want)
    only_rebuilt = sorted((r[1], r[2], r[0]) for r in want - got)
    assert (only_streamed, only_rebuilt) == ([], [])

    before = _risk_snapshot(streamed)
    assert streamed.detection.rebuild(batch_size=1000) == 0
    assert detection_rows(streamed.store.risk.list_detections()) == got
    assert _risk_snapshot(streamed) == before


def _risk_snapshot(app):
    """Every detection in full, every risky principal and its whole history."""
    risk = app.store.risk
    risky = risk.list_risky()
    return (
        risk.list_detections(),
        risky,
        {p.id: risk.history(p.id) for p in risky},
    )


@pytest.mark.slow
def test_interrupted_rebuild_changes_nothing(tenant, tmp_path):
    app = app_on(tmp_path / "streamed.db")
    ingest(app, tenant, detect=True, batch_size=300)
    before = _risk_snapshot(app), app.store.detector_state.sizes()

    def stop(done: int) -> None:
        if done > 5000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        app.detection.rebuild(batch_size=500, progress=stop)
    assert (_risk_snapshot(app), app.store.detector_state.sizes()) == before


@pytest.mark.slow
def test_a_snapshot_after_the_logs_describes_the_risky_principals(tenant, tmp_path):
    app = app_on(tmp_path / "late-inventory.db")
    for part in ("audit", "signins", "graph", "inventory"):
        ingest(app, tenant / part, detect=True, batch_size=2000)
    listed = {sp.id: sp for sp in app.store.inventory.all_service_principals()}
    risky = [p for p in app.store.risk.list_risky() if p.id in listed]
    assert risky, "the scenarios should make principals of the snapshot risky"
    for p in risky:
        sp = listed[p.id]
        assert (p.display_name, p.app_id, p.service_principal_type) == (
            sp.display_name,
            sp.app_id,
            sp.service_principal_type.value,
        )



@pytest.mark.slow
@pytest.mark.parametrize("order", [("audit", "signins", "graph", "inventory"),
                                   ("inventory", "audit", "signins", "graph")])
def test_detections_name_their_principal_whatever_came_first(tenant, tmp_path, order):
    """Graph activity logs carry no principal name: suspiciousAPITraffic detections take the
    inventory's, whether the snapshot came before them or after; re-ingesting changes nothing."""
    app = app_on(tmp_path / "named.db")
    for part in order:
        ingest(app, tenant / part, detect=True, batch_size=2000)
    listed = {sp.id: sp for sp in app.store.inventory.all_service_principals()}
    found = [d for d in app.store.risk.list_detections() if d.service_principal_id in listed]
    traffic = [d for d in found if d.risk_event_type == "suspiciousAPITraffic"]
    assert traffic, "the graph-recon scenario should be detected"
    assert all(d.service_principal_display_name and d.app_id for d in found)
    assert [(d.service_principal_display_name, d.app_id) for d in traffic] == [
        (listed[d.service_principal_id].display_name, listed[d.service_principal_id].app_id)
        for d in traffic]
    before = _risk_snapshot(app)
    for part in order:
        ingest(app, tenant / part, detect=True, batch_size=2000)
    assert _risk_snapshot(app) == before

SP = "5a0d8a3e-0000-4000-8000-000000000001"
APP = "5a0d8a3e-0000-4000-8000-0000000000a1"
OTHER = "5a0d8a3e-0000-4000-8000-000000000002"


def _sign_in(n: int, sp: str, when: str, error: int = 0) -> dict:
    return {"id": f"5a0d8a3e-0000-4000-8000-{n:012d}", "createdDateTime": when,
            "appId": APP if sp == SP else f"{sp[:-2]}b2", "servicePrincipalId": sp,
            "servicePrincipalName": "DocuSign" if sp == SP else "other",
            "ipAddress": "20.61.237.54", "status": {"errorCode": error},
            "signInEventTypes": ["servicePrincipal"]}


def _write(path, records: list[dict]) -> None:
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")


def test_a_rebuild_keeps_the_time_a_disabled_app_was_dated_by(tmp_path):
    """maliciousApplication dates a snapshot without 7000112 failures by the newest record
    ingested before it: a fact about the order of ingestion that the replay cannot re-derive
    (it replays the inventory first). A rebuild used to forget it, and a 7000112 failure
    ingested afterwards re-dated the detection to the failure, 4 days later than streaming."""
    _write(tmp_path / "before.jsonl", [_sign_in(1, OTHER, "2026-10-02T10:00:00Z")])
    _write(tmp_path / "after.jsonl", [_sign_in(2, SP, "2026-10-06T10:00:00Z", 7000112)])
    snapshot = {"value": [{"id": SP, "appId": APP, "displayName": "DocuSign",
                           "servicePrincipalType": "Application", "accountEnabled": True,
                           "disabledByMicrosoftStatus": "DisabledDueToViolationOfServicesAgreement"}]}
    (tmp_path / "servicePrincipals.json").write_bytes(orjson.dumps(snapshot))

    found = {}
    for rebuild in (False, True):
        app = app_on(tmp_path / f"rebuild-{rebuild}.db")
        ingest(app, tmp_path / "before.jsonl", detect=True)
        ingest(app, tmp_path / "servicePrincipals.json", detect=True)
        if rebuild:
            app.detection.rebuild()
        ingest(app, tmp_path / "after.jsonl", detect=True)
        found[rebuild] = {(d.risk_event_type, d.service_principal_id, d.activity_date_time)
                          for d in app.store.risk.list_detections()}
    assert found[True] == found[False] == {
        ("maliciousApplication", SP, datetime(2026, 10, 2, 10, tzinfo=UTC))}
