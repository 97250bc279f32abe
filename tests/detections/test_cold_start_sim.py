"""The simulator's cold-start scenarios against the detectors they guard: a rarely used app's
stolen secret (suspiciousSignins, sparse route) and a new app enumerating the directory while it
learns (suspiciousAPITraffic, learning floor) are found at medium or above; the benign
counterparts (a rarely used app's ordinary changes, a new sync app's first read) give nothing."""

from __future__ import annotations

import json

import pytest
from behaviour_sim import MemoryContext, app_on, batches, ingest, run, simulated, stored_records

from vigil.detections.registry import REGISTRY
from vigil.evaluate.scoring import matches
from vigil.simulate.labels import LabelSet

COLD = ("stolen-secret/rarely-used-app", "graph-recon/new-app-enumeration")


@pytest.fixture(scope="module")
def tenant(tmp_path_factory):
    root = tmp_path_factory.mktemp("cold")
    out = simulated(root, "cold", seed=3, days=45, sps=60, scenarios=COLD)
    app = app_on(root / "cold.db")
    ingest(app, out, detect=False)
    labels = LabelSet.from_dict(json.loads((out / "labels.json").read_text(encoding="utf-8")))
    records = stored_records(app)
    sps = app.store.inventory.all_service_principals()
    ctx = MemoryContext(sps=sps, apps=app.store.inventory.applications())
    found = {t: run(REGISTRY[t](), batches(records, 2000, sps), ctx)
             for t in ("suspiciousSignins", "suspiciousAPITraffic")}
    return labels, found


@pytest.mark.slow
@pytest.mark.parametrize(("variant", "risk_event_type"), [
    ("rarely-used-app", "suspiciousSignins"),
    ("new-app-enumeration", "suspiciousAPITraffic"),
])
def test_cold_start_attacks_are_found(tenant, variant, risk_event_type):
    labels, found = tenant
    (lb,) = [x for x in labels.labels if x.variant == variant and x.required]
    hits = [d for d in found[risk_event_type].values() if matches(d, lb)]
    assert hits and max(d.risk_level.value for d in hits) in ("medium", "high")


@pytest.mark.slow
def test_cold_start_benign_counterparts_are_quiet(tenant):
    labels, found = tenant
    quiet = {d.service_principal_id for d in labels.decoys
             if d.kind in ("sparseProfileVariation", "firstDaySync")}
    assert len(quiet) >= 2
    assert [(d.risk_event_type, d.service_principal_display_name, d.risk_level.value)
            for kind in found.values() for d in kind.values()
            if d.service_principal_id in quiet] == []
