"""End to end on a small simulated tenant: intel, credential registry, ingest, scan, rebuild.

The indicator scenarios (threat-intel, malicious-app, consent-phishing, leaked-secret) must be
found (every required label of the four types matched, no false positive), and ``vigil detect
--rebuild`` over the result must change nothing (no new detection, no new history item).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from vigil.app import build
from vigil.evaluate.scoring import score
from vigil.intel.service import intel_service
from vigil.leaks.service import leak_service
from vigil.settings import load_settings
from vigil.simulate import SimConfig, simulate
from vigil.simulate.labels import LabelSet

TYPES = ("investigationsThreatIntelligence", "leakedCredentials", "maliciousApplication",
         "suspiciousApplication")
NOW = datetime(2026, 11, 3, tzinfo=UTC)  # two days after the simulated timeline


def rows(detections) -> set[tuple]:
    return {(d.id, d.risk_level.value, d.activity_date_time, d.key_ids,
             json.dumps([[e.key, e.value] for e in d.additional_info], sort_keys=True))
            for d in detections}


@pytest.mark.slow
def test_indicator_scenarios_end_to_end(tmp_path):
    out = tmp_path / "sim"
    simulate(SimConfig(seed=9, days=16, sps=60, scenarios=(
        "threat-intel", "malicious-app", "consent-phishing", "leaked-secret")), out)
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'vigil.db'}",
                             indicators={"server_key_file": str(tmp_path / "server.key")})
    app = build(settings, clock=lambda: NOW)
    intel_service(app).add([out / "intel"])
    leaks = leak_service(app)
    leaks.import_credentials((out / "secrets.json").read_bytes())
    app.ingestor(batch_size=300).ingest([str(out)])
    summary = leaks.scan([str(out / "repos")])
    assert summary.decoys["expired"] + summary.decoys["removed"] >= 1

    labels = LabelSet.from_dict(json.loads((out / "labels.json").read_text()))
    detections = [d for d in app.store.risk.list_detections() if d.risk_event_type in TYPES]
    report = {t.risk_event_type: t for t in score(labels, detections).types}
    for kind in TYPES:
        assert (report[kind].recall, report[kind].precision) == (1.0, 1.0), kind

    def ours() -> int:  # history items recorded for these types
        sps = {d.service_principal_id for d in detections}
        return sum(1 for sp in sps for h in app.store.risk.history(sp)
                   if set(h.activity_risk_event_types) & set(TYPES))

    before, history = rows(detections), ours()
    app.detection.rebuild(batch_size=700)
    after = [d for d in app.store.risk.list_detections() if d.risk_event_type in TYPES]
    assert rows(after) == before
    assert ours() == history
    app.close()
