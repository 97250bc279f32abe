"""Every public sample in shared/samples/public reads and normalizes (see its README)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from vigil.ingest.readers import RawRecord, ReadError, iter_records
from vigil.model import AuditEvent, GraphActivity, SignIn
from vigil.normalize import Rejected, activity_key, normalize

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples" / "public"
LOGS = (
    sorted(SAMPLES.glob("*/*.*sv")) + sorted(SAMPLES.glob("*/*.jsonl")) if SAMPLES.is_dir() else []
)

pytestmark = pytest.mark.skipif(
    not SAMPLES.is_dir(),
    reason=f"public samples not found at {SAMPLES} (shared/ is not checked out)",
)

#: Records per file and kind, from the samples' README.
EXPECTED = {
    "elastic-azure-integration/AuditLogs.records.jsonl": {AuditEvent: 3},
    "elastic-azure-integration/MicrosoftGraphActivityLogs.records.jsonl": {GraphActivity: 6},
    "elastic-azure-integration/ServicePrincipalSignInLogs.failure.records.jsonl": {SignIn: 1},
    "elastic-azure-integration/ServicePrincipalSignInLogs.records.jsonl": {SignIn: 7},
    "otrf-golden-saml/AuditLogs.jsonl": {AuditEvent: 4},
    # This hunting export dropped every time column (no TimeGenerated, no ActivityDateTime): as in
    # Log Analytics, TimeGenerated is then the time the row was received (``received_at``).
    "sentinel-training-lab/AuditLogs.csv": {AuditEvent: 5},
}


def _normalized(path: Path) -> list[object]:
    items = list(iter_records(str(path)))
    assert [i for i in items if isinstance(i, ReadError)] == []
    return [
        normalize(i.data, shape_hint=i.shape_hint, received_at=RECEIVED)
        for i in items
        if isinstance(i, RawRecord)
    ]


RECEIVED = "2026-11-27T10:00:00+00:00"


def test_rows_without_any_time_need_a_received_time() -> None:
    path = SAMPLES / "sentinel-training-lab" / "AuditLogs.csv"
    rows = [i for i in iter_records(str(path)) if isinstance(i, RawRecord)]
    bare = [normalize(r.data, shape_hint=r.shape_hint) for r in rows]
    assert {(type(r), getattr(r, "field", None)) for r in bare} == {(Rejected, "ActivityDateTime")}
    timed = [normalize(r.data, shape_hint=r.shape_hint, received_at=RECEIVED) for r in rows]
    assert {r.activity_date_time.isoformat() for r in timed} == {RECEIVED}


def test_every_log_file_is_listed() -> None:
    assert {p.relative_to(SAMPLES).as_posix() for p in LOGS} == set(EXPECTED)


@pytest.mark.parametrize("path", LOGS, ids=lambda p: p.name)
def test_sample_normalizes(path: Path) -> None:
    results = _normalized(path)
    assert Counter(type(r) for r in results) == EXPECTED[path.relative_to(SAMPLES).as_posix()]
    for r in results:
        if isinstance(r, Rejected):
            assert (r.kind, r.field) == ("audit", "ActivityDateTime")


def test_elastic_signins_values() -> None:
    ok = _normalized(SAMPLES / "elastic-azure-integration/ServicePrincipalSignInLogs.records.jsonl")
    assert {(s.service_principal_id, s.ip_address, s.error_code) for s in ok} == {  # type: ignore[attr-defined]
        ("b029d485-a308-4311-8720-fb3192e5284e", "1.128.3.4", 0)
    }
    (failed,) = _normalized(
        SAMPLES / "elastic-azure-integration/ServicePrincipalSignInLogs.failure.records.jsonl"
    )
    assert isinstance(failed, SignIn)
    assert (failed.error_code, failed.location.city) == (7000222, "Hannover")  # type: ignore[union-attr]


def test_otrf_certificate_activity_keeps_the_en_dash() -> None:
    events = _normalized(SAMPLES / "otrf-golden-saml/AuditLogs.jsonl")
    names = [e.activity_display_name for e in events]  # type: ignore[attr-defined]
    assert names[0] == "Update application – Certificates and secrets management "
    assert activity_key(names[0]) == activity_key(
        "Update application - Certificates and secrets management"
    )
    assert events[0].initiated_by.user_principal_name == "pgustavo@simulandlabs.com"  # type: ignore[attr-defined]


def test_elastic_platform_certificate_rotation_actor() -> None:
    first = _normalized(SAMPLES / "elastic-azure-integration/AuditLogs.records.jsonl")[0]
    assert isinstance(first, AuditEvent)
    assert first.initiated_by is not None
    assert (first.initiated_by.kind, first.initiated_by.display_name) == (
        "app",
        "Managed Service Identity",
    )


def test_elastic_graph_activity_ipv6_and_string_numbers() -> None:
    first = _normalized(
        SAMPLES / "elastic-azure-integration/MicrosoftGraphActivityLogs.records.jsonl"
    )[0]
    assert isinstance(first, GraphActivity)
    assert (first.ip_address, first.client_auth_method, first.response_status_code) == (
        "2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6",
        2,
        200,
    )
