"""The contract every registered detector keeps (``vigil.detections.base``), checked on all of them.

* the registry key is the class's ``risk_event_type``, a known Graph riskEventType;
* same input → same detection ids (two fresh runs over the same simulated records);
* output times are timezone-aware UTC;
* parameters (when the detector has ``params``) round-trip through ``to_dict`` / ``from_dict``,
  and an unknown parameter name is refused;
* a named simulated scenario triggers it (a detection matches a required label of its type) and a
  benign simulated tenant does not (no detection of its type at all).

A detector that needs an injected source (leak findings, indicator feeds) to see its scenario says
so in :data:`NEEDS_SOURCE`, with the reason; it is then checked by its own tests instead.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from behaviour_sim import MemoryContext, app_on, batches, ingest, run, simulated, stored_records
from bench.detect import MemoryContext as BenchContext

from vigil.detections.base import DetectionContext
from vigil.detections.registry import NOT_DETECTORS, REGISTRY
from vigil.evaluate.scoring import matches
from vigil.model import RiskEventType
from vigil.services.detection import StoreContext
from vigil.simulate.labels import LabelSet

#: riskEventType → the simulator scenario that must trigger it.
SCENARIOS = {
    "suspiciousSignins": "stolen-secret",
    "anomalousServicePrincipalActivity": "sp-takeover",
    "suspiciousAPITraffic": "graph-recon",
    "investigationsThreatIntelligence": "threat-intel",
    "leakedCredentials": "leaked-secret",
    "maliciousApplication": "malicious-app",
    "suspiciousApplication": "consent-phishing",
}
#: riskEventType → why its default instance cannot see its scenario in the logs alone.
NEEDS_SOURCE = {
    "leakedCredentials": "needs leak findings from `vigil.leaks` (a FindingSource)",
}
TYPES = sorted(REGISTRY)


class Tenant:
    def __init__(self, app, labels: LabelSet) -> None:
        self.records = stored_records(app)
        self.sps = app.store.inventory.all_service_principals()
        self.apps = app.store.inventory.applications()
        self.labels = labels

    def detect(self, risk_event_type: str, batch_size: int = 2000):
        ctx = MemoryContext(sps=self.sps, apps=self.apps)
        detector = REGISTRY[risk_event_type]()
        return run(detector, batches(self.records, batch_size, self.sps), ctx)


def _tenant(root, name: str, scenarios: tuple[str, ...]) -> Tenant:
    out = simulated(root, name, seed=9, days=16, sps=60, scenarios=scenarios)
    app = app_on(root / f"{name}.db")
    ingest(app, out, detect=False)
    labels = json.loads((out / "labels.json").read_text(encoding="utf-8"))
    return Tenant(app, LabelSet.from_dict(labels))


@pytest.fixture(scope="module")
def attacked(tmp_path_factory) -> Tenant:
    return _tenant(tmp_path_factory.mktemp("contract"), "attacked", tuple(SCENARIOS.values()))


@pytest.fixture(scope="module")
def benign(tmp_path_factory) -> Tenant:
    return _tenant(tmp_path_factory.mktemp("contract"), "benign", ())


def test_every_registered_type_has_a_scenario():
    assert set(REGISTRY) <= set(SCENARIOS), "add the new detector's scenario to SCENARIOS"


@pytest.mark.parametrize("risk_event_type", TYPES)
def test_registry_key_is_the_risk_event_type(risk_event_type):
    assert REGISTRY[risk_event_type].risk_event_type == risk_event_type
    assert risk_event_type in {t.value for t in RiskEventType}
    assert risk_event_type not in NOT_DETECTORS


@pytest.mark.slow
@pytest.mark.parametrize("risk_event_type", TYPES)
def test_same_input_same_ids_and_utc_times(attacked, risk_event_type):
    first = attacked.detect(risk_event_type)
    again = attacked.detect(risk_event_type, batch_size=777)
    assert set(first) == set(again)
    for d in first.values():
        assert d.risk_event_type == risk_event_type
        for t in (d.activity_date_time, d.detected_date_time, d.last_updated_date_time):
            assert t.tzinfo is not None and t.utcoffset() == timedelta(0), (d.id, t)


@pytest.mark.parametrize("risk_event_type", TYPES)
def test_params_round_trip(risk_event_type):
    detector = REGISTRY[risk_event_type]()
    params = getattr(detector, "params", None)
    if params is None:
        pytest.skip("this detector has no parameters")
    cls = type(params)
    assert cls.from_dict(params.to_dict()) == params
    assert cls.from_dict({}) == params
    with pytest.raises(ValueError, match="unknown"):
        cls.from_dict({"no_such_parameter": 1})


@pytest.mark.slow
@pytest.mark.parametrize("risk_event_type", TYPES)
def test_scenario_triggers(attacked, risk_event_type):
    if risk_event_type in NEEDS_SOURCE:
        pytest.skip(NEEDS_SOURCE[risk_event_type])
    found = attacked.detect(risk_event_type).values()
    required = [lb for lb in attacked.labels.labels
                if lb.risk_event_type == risk_event_type and lb.required]
    assert required, f"scenario {SCENARIOS[risk_event_type]} has no required label"
    missed = [lb.id for lb in required if not any(matches(d, lb) for d in found)]
    assert len(missed) < len(required), f"no required label of {risk_event_type} found"


@pytest.mark.slow
@pytest.mark.parametrize("risk_event_type", TYPES)
def test_benign_tenant_does_not_trigger(benign, risk_event_type):
    found = benign.detect(risk_event_type)
    assert [(d.service_principal_display_name, d.risk_level.value, d.activity_date_time)
            for d in found.values()] == []


@pytest.mark.parametrize("context", [StoreContext, MemoryContext, BenchContext],
                         ids=["store", "tests", "bench"])
def test_every_context_has_every_method_of_the_protocol(context):
    """Detectors call any method of ``DetectionContext``: the benchmark's context broke when
    ``detections`` was added without it."""
    wanted = {n for n in vars(DetectionContext) if not n.startswith("_")}
    assert wanted - set(dir(context)) == set()
