"""Admins' verdicts on a whole simulated tenant: streaming with verdicts given along the way and a
rebuild afterwards agree (``vigil.detections.verdicts``).

A tenant with the behavioural scenarios is fed in time order, in batches, through the store and
the detectors, as an ingest does; five times along the way an admin answers every principal at risk
(dismissing some, remediating the others), on a clock that follows the records. The rebuild
must then change nothing: no detection, risk state or history item.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from behaviour_sim import app_on, feed, ingest, record_time, simulated, stored_records

from vigil.app import App
from vigil.model import RiskState


def _answer(app: App, round_: int) -> int:
    """Answer every principal at risk: dismiss half of them, remediate the others (which half
    changes with the round). Returns how many were answered."""
    risky = [p for p in app.store.risk.list_risky() if p.risk_state == RiskState.atRisk]
    for n, p in enumerate(sorted(risky, key=lambda p: p.id)):
        if (n + round_) % 2:
            app.risk.remediate([p.id], actor="admin@contoso.com")
        else:
            app.risk.dismiss([p.id], actor="admin@contoso.com")
    return len(risky)


def _snapshot(app: App) -> tuple[Any, ...]:
    risk = app.store.risk
    risky = risk.list_risky()
    return risk.list_detections(), risky, {p.id: risk.history(p.id) for p in risky}


@pytest.mark.slow
def test_verdicts_along_the_way_and_a_rebuild_agree(tmp_path, clock):
    tenant = simulated(tmp_path, "sim", seed=5, days=16, sps=40,
                       scenarios=("stolen-secret", "sp-takeover", "graph-recon"))
    source = app_on(tmp_path / "source.db")
    ingest(source, tenant, detect=False)
    records = stored_records(source)

    clock.now = record_time(records[0])  # conftest's FakeClock, moved along by feed
    app = app_on(tmp_path / "streamed.db", clock=clock)
    ingest(app, tenant / "inventory", detect=True)
    answered, rounds = 0, 0
    cuts = tuple(len(records) * k // 8 for k in range(3, 8))  # once the scenarios have begun
    for start in range(0, len(records), 300):
        feed(app, records[start : start + 300])
        if any(start <= c < start + 300 for c in cuts):
            answered += _answer(app, rounds)
            rounds += 1
    types = {d.risk_event_type for d in app.store.risk.list_detections()}
    assert answered >= 2, "the scenarios should put principals at risk before each round"
    assert {"suspiciousSignins", "anomalousServicePrincipalActivity"} <= types

    before = _snapshot(app)
    clock.now += timedelta(days=1)
    assert app.detection.rebuild(batch_size=700) == 0
    assert _snapshot(app) == before
