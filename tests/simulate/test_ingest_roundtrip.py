"""Every record the simulator writes reads and normalizes with zero rejects (issue 4 acceptance),
through the same reader and normalizer ``vigil ingest`` uses."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from vigil.ingest.readers import RawRecord, iter_records
from vigil.model import Application, AuditEvent, GraphActivity, ServicePrincipal, SignIn
from vigil.normalize import Rejected, normalize

LOG_FOLDERS = ("signins", "audit", "graph", "inventory")


def normalized(out: Path) -> tuple[Counter[str], list[str]]:
    kinds: Counter[str] = Counter()
    problems: list[str] = []
    for folder in LOG_FOLDERS:
        for item in iter_records(str(out / folder)):
            if not isinstance(item, RawRecord):
                problems.append(f"{item.source}:{item.line}: {item.reason}")
                continue
            result = normalize(item.data, shape_hint=item.shape_hint)
            if isinstance(result, Rejected):
                problems.append(f"{item.source}:{item.line}: {result}")
            else:
                kinds[type(result).__name__] += 1
    return kinds, problems


@pytest.mark.parametrize("fixture", ["graph_out", "la_out", "csv_out"])
def test_every_record_normalizes(request, fixture):
    out: Path = request.getfixturevalue(fixture)
    kinds, problems = normalized(out)
    assert problems[:5] == []
    assert set(kinds) == {SignIn.__name__, AuditEvent.__name__, GraphActivity.__name__,
                          ServicePrincipal.__name__, Application.__name__}


def test_normalized_values_survive(graph_out):
    """Spot-check the fields detectors rely on after normalization."""
    mi = credential = disabled = False
    for item in iter_records(str(graph_out / "signins")):
        s = normalize(item.data, shape_hint=item.shape_hint)
        assert isinstance(s, SignIn)
        mi |= s.kind.value == "managedIdentity" and s.msi_type is not None
        credential |= s.credential_key_id is not None and s.asn is not None
        disabled |= s.error_code == 7000112
    assert mi and credential and disabled
    sps = [normalize(i.data, shape_hint=i.shape_hint)
           for i in iter_records(str(graph_out / "inventory/servicePrincipals.json"))]
    assert any(isinstance(sp, ServicePrincipal) and sp.disabled_by_microsoft_status for sp in sps)
