"""suspiciousSignins on hand-built sign-ins: payload table, learning, change windows, episodes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from behaviour_sim import T0, MemoryContext, batches, run

from vigil.detections.suspicious_signins import Params, SuspiciousSignins
from vigil.model import (
    ActivityType,
    AuditEvent,
    AuditTarget,
    ClientCredentialType,
    Initiator,
    Location,
    ModifiedProperty,
    RiskLevel,
    RiskState,
    SignIn,
    SignInKind,
)

SP, APP = "5b3a9c1e-7f2d-4e8a-b6c4-1d9e0f2a3b4c", "0c4e8b2a-6d1f-4a3e-9b7c-2e5f8a1d4c6b"
KEY = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
NL = Location(city="Amsterdam", country_or_region="NL")
_n = [0]


def signin(at, **kw: Any) -> SignIn:
    _n[0] += 1
    base: dict[str, Any] = dict(
        id=f"00000000-0000-4000-8000-{_n[0]:012d}", created_date_time=at,
        kind=SignInKind.servicePrincipal, service_principal_id=SP, app_id=APP,
        service_principal_name="billing-sync", ip_address="20.61.3.4", location=NL, asn=8075,
        asn_org="MICROSOFT-CORP-MSN-AS-BLOCK", is_hosting=True, resource_id="r-kv",
        resource_display_name="Azure Key Vault",
        client_credential_type=ClientCredentialType.clientSecret, credential_key_id=KEY,
        user_agent="azsdk-python-identity/1.17.1 Python/3.11.9 (Linux)",
        correlation_id=f"c-{_n[0]}")
    base.update(kw)
    return SignIn(**base)


def history(days: int = 30, every_hours: int = 1, start=T0) -> list[SignIn]:
    return [signin(start + timedelta(hours=h)) for h in range(0, days * 24, every_hours)]


CERTIFICATE = dict(credential_key_id=None, credential_thumbprint="a909502dd8",
                   client_credential_type=ClientCredentialType.certificate)
ABROAD = dict(ip_address="139.59.1.2", asn=14061, location=Location(country_or_region="IN"),
              user_agent="python-requests/2.32.3")
AFTER = T0 + timedelta(days=30, hours=5)


def detect(records, params: Params | None = None, batch: int = 500, ctx=None):
    ctx = ctx or MemoryContext()
    return run(SuspiciousSignins(params), batches(records, batch), ctx)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, None),
        ({"ip_address": "20.61.3.99"}, None),  # same /24: IP alone weighs 0.5 per bit
        ({"ip_address": "20.61.77.5"}, "low"),  # a new address block, same ASN and country
        ({"user_agent": "python-requests/2.32.3"}, "low"),
        ({"user_agent": "azsdk-python-identity/1.18.0 Python/3.11.9"}, None),  # version only
        ({"credential_key_id": "9d9fea30-d8e3-481b-b57c-0ef569a989e5"}, None),  # 0.8 × 8.5 bits
        (CERTIFICATE, "low"),
        ({"resource_id": "g", "resource_display_name": "Microsoft Graph"}, None),
        ({"ip_address": "20.61.77.5", "user_agent": "curl/8.9.1"}, "medium"),
        (ABROAD, "high"),
        ({**ABROAD, "error_code": 7000215}, None),  # failures are neither scored nor learned
        ({**ABROAD, "is_hosting": False}, "high"),
    ],
)
def test_payload_table(kwargs, expected):
    found = detect([*history(), signin(AFTER, **kwargs)])
    assert [d.risk_level.value for d in found.values()] == ([expected] if expected else [])


def test_detection_fields_and_explanations():
    attack = [signin(AFTER + timedelta(minutes=m), **ABROAD) for m in (0, 20, 70)]
    (d,) = detect([*history(), *attack]).values()
    info = {e.key: e.value for e in d.additional_info}
    assert d.activity == ActivityType.signin
    assert d.activity_date_time == attack[0].created_date_time
    assert (d.request_id, d.correlation_id, d.ip_address) == (
        attack[0].id, attack[0].correlation_id, "139.59.1.2")
    assert d.location == Location(country_or_region="IN")
    assert d.key_ids == (KEY,)
    assert info["signInCount"] == 3
    assert info["requestIds"] == [s.id for s in attack]
    assert "country IN: never in 30 days; usual NL 100%" in info["unfamiliarProperties"]
    assert "ASN AS14061: never in 30 days; usual AS8075 100%" in info["unfamiliarProperties"]
    assert info["score"] >= 28


def test_one_detection_per_episode_and_a_new_one_after_the_gap():
    first = [signin(AFTER + timedelta(hours=h), **ABROAD) for h in (0, 3, 9)]
    later = signin(AFTER + timedelta(hours=9 + 13), **ABROAD)
    found = detect([*history(), *first, later])
    assert sorted(d.activity_date_time for d in found.values()) == [
        first[0].created_date_time, later.created_date_time]


def test_protected_learning_keeps_flagging_the_same_properties():
    attack = [signin(AFTER + timedelta(days=d), **ABROAD) for d in range(4)]
    found = detect([*history(), *attack])
    assert len(found) == 4 and {d.risk_level for d in found.values()} == {RiskLevel.high}


def test_low_findings_are_learned():
    moved = [signin(AFTER + timedelta(hours=h), ip_address="20.61.77.5") for h in range(5)]
    (d,) = detect([*history(), *moved]).values()
    assert {e.key: e.value for e in d.additional_info}["signInCount"] == 1


@pytest.mark.parametrize(("report", "expected"), [(False, []), (True, ["low"])])
def test_learning_period_reports_nothing_or_low_with_the_reason(report, expected):
    records = [*history(days=3), signin(T0 + timedelta(days=3, hours=1), **ABROAD)]
    found = detect(records, Params(report_learning=report))
    assert [d.risk_level.value for d in found.values()] == expected
    for d in found.values():
        info = {e.key: e.value for e in d.additional_info}
        assert info["learning"].startswith("learning: 3.0 of 7 days")


def audit(at, activity: str, actor: Initiator, props=(), kind="Application", **kw) -> AuditEvent:
    _n[0] += 1
    target = AuditTarget(id=SP if kind == "ServicePrincipal" else "obj-1", type=kind,
                         display_name="billing-sync", modified_properties=tuple(props))
    return AuditEvent(id=f"Directory_{_n[0]}", activity_date_time=at,
                      activity_display_name=activity, initiated_by=actor, targets=(target,),
                      additional_details=(("AppId", APP),), correlation_id=f"a-{_n[0]}", **kw)


ADMIN = Initiator(kind="user", id="u1", user_principal_name="anouk@contoso.com")
ROBOT = Initiator(kind="app", id="sp-9", service_principal_id="sp-9", display_name="Automation")
NEW_KEY = "9d9fea30-d8e3-481b-b57c-0ef569a989e5"
CREDS = "Update application \u2013 Certificates and secrets management "
FIC = ModifiedProperty("FederatedIdentityCredentials", "[]", '[{"Name": "gh"}]')


@pytest.mark.parametrize(
    ("change", "use", "expected"),
    [
        ((CREDS, ADMIN, ()), CERTIFICATE, None),
        ((CREDS, ROBOT, ()), CERTIFICATE, "low"),  # an untrusted actor explains nothing
        ((CREDS, ADMIN, ()), {"ip_address": "20.61.77.5", "user_agent": "curl/8.9.1"}, "medium"),
        (("Update application", ADMIN, (FIC,)),
         {"ip_address": "4.148.1.2", "location": Location(country_or_region="US"),
          "client_credential_type": ClientCredentialType.federatedIdentityCredential,
          "credential_key_id": None, "federated_credential_id": "fic-1",
          "user_agent": "python/3.11.8 AZURECLI/2.62.0"}, None),
        (("Update application", ADMIN, ()), {"ip_address": "20.54.1.2",
                                             "location": Location(country_or_region="IE")}, None),
        (("Update application", ADMIN, ()), CERTIFICATE, "low"),  # not a credential change
    ],
)
def test_authorized_changes_open_relearning_windows(change, use, expected):
    activity, actor, props = change
    at = AFTER - timedelta(hours=2)
    records = [*history(), audit(at, activity, actor, props), signin(AFTER, **use)]
    found = detect(records)
    assert [d.risk_level.value for d in found.values()] == ([expected] if expected else [])


def test_change_window_closes_after_72_hours():
    at = AFTER - timedelta(hours=2)
    change = audit(at, CREDS, ADMIN)
    late = signin(at + timedelta(hours=73), **CERTIFICATE)
    (d,) = detect([*history(), change, late]).values()
    assert d.risk_level == RiskLevel.low


def test_explained_properties_are_listed_when_something_else_fires():
    change = audit(AFTER - timedelta(hours=1), CREDS, ADMIN)
    (d,) = detect([*history(), change, signin(AFTER, credential_key_id=NEW_KEY, **ABROAD)]).values()
    info = {e.key: e.value for e in d.additional_info}
    assert info["explainedByChanges"] == [
        f"credential {NEW_KEY}: 'Update application \u2013 Certificates and secrets management' "
        f"by anouk@contoso.com at {(AFTER - timedelta(hours=1)).strftime('%Y-%m-%dT%H:%M:%SZ')}"]


def test_audit_before_signins_file_order_equals_time_order():
    change = audit(AFTER - timedelta(hours=2), CREDS, ADMIN)
    records = [*history(), signin(AFTER, credential_key_id=NEW_KEY, ip_address="20.61.77.5")]
    in_time = detect([*records[:-1], change, records[-1]])
    audit_first = detect([change, *records])
    assert {d.id: d for d in in_time.values()} == {d.id: d for d in audit_first.values()}


@pytest.mark.parametrize("size", [1, 7, 100, 10_000])
def test_batches_do_not_change_results_or_state(size):
    records = [*history(days=20), *(signin(T0 + timedelta(days=20, hours=h), **ABROAD)
                                    for h in (1, 2))]
    reference_ctx, ctx = MemoryContext(), MemoryContext()
    reference = detect(records, batch=10_000, ctx=reference_ctx)
    assert detect(records, batch=size, ctx=ctx) == reference
    mine = {k: v for k, v in ctx.states.items() if k[1] != "_generation"}
    assert mine == {k: v for k, v in reference_ctx.states.items() if k[1] != "_generation"}


def test_managed_identity_without_user_agent_or_key_is_quiet():
    mi = [replace(s, kind=SignInKind.managedIdentity, user_agent=None, credential_key_id=None,
                  client_credential_type=ClientCredentialType.managedIdentity)
          for s in history()]
    assert detect(mi) == {}


def test_a_finished_episode_leaves_the_state_at_the_next_maintenance():
    ctx = MemoryContext()
    attack = signin(AFTER, **ABROAD)
    week = [signin(AFTER + timedelta(hours=h)) for h in range(1, 24 * 8)]
    assert len(detect([*history(), attack, *week], ctx=ctx)) == 1
    state = ctx.load_state("suspiciousSignins", SP)
    assert "ep" not in state["x"]
    assert len(ctx.states[("suspiciousSignins", SP)]) < 1500


DEPLOYED = {"ip_address": "20.61.77.5", "user_agent": "curl/8.9.1"}


def test_deployment_use_without_its_window_is_medium():
    """The control for the backfill test below: no window, the same use is medium."""
    assert [d.risk_level for d in detect([*history(), signin(AFTER, **DEPLOYED)]).values()] == [
        RiskLevel.medium]


def test_an_audit_backfill_of_any_size_keeps_every_window():
    """20,001 authorized changes of other apps, ending later than this principal's, ingested
    before the sign-ins: every window is kept (a cap of 20,000 dropped this one, the first to end,
    and the deployment's sign-in fired medium)."""
    ours = audit(AFTER - timedelta(hours=2), "Update application", ADMIN)
    others = [
        AuditEvent(id=f"Directory_backfill_{i}", activity_date_time=AFTER - timedelta(hours=1),
                   activity_display_name="Update application", initiated_by=ADMIN,
                   targets=(AuditTarget(id=f"obj-{i}", type="Application", display_name="x"),),
                   additional_details=(("AppId", f"00000000-0000-4000-a000-{i:012d}"),))
        for i in range(20_001)
    ]
    ctx = MemoryContext()
    later = signin(AFTER + timedelta(hours=80), **DEPLOYED)  # past the window: learned by now
    found = detect([ours, *others, *history(), signin(AFTER, **DEPLOYED), later], batch=10_001,
                   ctx=ctx)
    assert found == {}
    index = ctx.load_state("suspiciousSignins", "_changes")
    assert index["version"] == 2 and len(index["keys"]) == 20_001  # ours is passed: gone
    assert ctx.load_state("suspiciousSignins", f"_changes:app:{APP}") == {"version": 1, "w": []}


def test_windows_of_the_single_state_version_are_split_and_still_explain():
    """Stores written before windows were kept per key hold them all in one state (version 1)."""
    at = int((AFTER - timedelta(hours=2)).timestamp())
    window = [at, at + 72 * 3600, ["ip", "net", "asn", "cc", "host", "uaf", "ua", "res"],
              "'Update application' by anouk@contoso.com", "Directory_old"]
    ctx = MemoryContext()
    detect(history(), ctx=ctx)
    ctx.save_state("suspiciousSignins", "_changes", {"version": 1, "w": {f"app:{APP}": [window]}})
    assert detect([signin(AFTER, **DEPLOYED)], ctx=ctx) == {}
    assert ctx.load_state("suspiciousSignins", "_changes") == {
        "version": 2, "keys": {f"app:{APP}": at + 72 * 3600}}
    assert ctx.load_state("suspiciousSignins", f"_changes:app:{APP}") == {"version": 1,
                                                                         "w": [window]}


def test_a_principal_changed_more_often_than_windows_last_keeps_only_its_open_ones():
    """A deployment every other day keeps the principal's latest end ahead of its sign-ins: the
    windows that ended before its latest sign-in still go (they accumulated, one per change)."""
    records: list[Any] = []
    for d in range(60):
        if d % 2 == 0:
            records.append(audit(T0 + timedelta(days=d, minutes=30), "Update application", ADMIN))
        records += [signin(T0 + timedelta(days=d, hours=h, minutes=45)) for h in range(0, 24, 4)]
    ctx = MemoryContext()
    assert detect(records, ctx=ctx) == {}
    windows = ctx.load_state("suspiciousSignins", f"_changes:app:{APP}")["w"]
    assert [w[4] for w in windows] == [records[-6 * 2 - 1].id]  # the last change's, still open


def test_a_sign_in_dated_on_the_last_day_a_timestamp_holds_does_not_crash():
    """A valid record dated 9999-12-31: the next maintenance day is past year 9999. (After
    eight millennia of silence every value is forgotten: unfamiliar, weighed as new, low.)"""
    last = T0.replace(year=9999, month=12, day=31, hour=12)
    found = detect([*history(), signin(last, **ABROAD), signin(last + timedelta(hours=1)),
                    signin(last.replace(hour=23, minute=59, second=59, microsecond=999_999))])
    assert [d.risk_level for d in found.values()] == [RiskLevel.low]


def test_never_in_n_days_covers_only_what_the_profile_remembers():
    """A value last seen 90 days ago was forgotten after 60: the explanation may not say it was
    never seen in the profile's 100 days (it said "never in 100 days" of a country used on day 0)."""
    early = [signin(T0 + timedelta(hours=h), **ABROAD) for h in range(0, 10 * 24)]
    later = history(days=90, start=T0 + timedelta(days=10))
    back = signin(T0 + timedelta(days=100, hours=5), **ABROAD)
    found = detect([*early, *later, back])
    (d,) = [d for d in found.values() if d.activity_date_time == back.created_date_time]
    unfamiliar = {e.key: e.value for e in d.additional_info}["unfamiliarProperties"]
    assert "country IN: never in 60 days; usual NL 100%" in unfamiliar
    assert not any("in 100 days" in text for text in unfamiliar)


def test_every_unfamiliar_feature_is_named_however_many_values_came_before():
    """Twelve sign-ins from new addresses filled the 20 listed properties; the one that then came
    from a new country with a new credential was not explained at all, and nothing said so."""
    attack = [signin(AFTER + timedelta(minutes=m), **{**ABROAD, "ip_address": f"139.59.{m}.2"})
              for m in range(12)]
    odd = signin(AFTER + timedelta(minutes=30), **{
        **ABROAD, "ip_address": "139.59.99.2", "location": Location(country_or_region="KP"),
        "credential_key_id": "9d9fea30-d8e3-481b-b57c-0ef569a989e5"})
    (d,) = detect([*history(), *attack, odd]).values()
    info = {e.key: e.value for e in d.additional_info}
    listed = info["unfamiliarProperties"]
    assert any(text.startswith("country KP: never in 30 days") for text in listed)
    assert any(text.startswith("credential 9d9fea30-") for text in listed)
    # IP, block, ASN, country, user agent and version of the first; IP and block of 12 more;
    # country and credential of the last: 6 + 24 + 2 = 32 values, 20 + KP + the key listed
    assert len(listed) == 22
    assert info["unfamiliarPropertiesNotListed"] == 32 - 22


# -- sparse principals: few sign-ins over weeks (red-team "rarely used app") ---------------------

OFFICE = dict(ip_address="77.160.10.5", asn=1136, is_hosting=False, location=NL,
              resource_display_name="Microsoft Graph", resource_id="r-graph",
              user_agent="Mozilla/5.0 (Windows NT 10.0) PowerShell/7.4.3")
VPS_SG = dict(ip_address="45.77.12.34", asn=20473, is_hosting=True,
              location=Location(city="Singapore", country_or_region="SG"),
              user_agent="python-requests/2.31.0")
RARE_END = T0 + timedelta(days=28, hours=3)


def rare_history(every_days: int = 3, days: int = 28) -> list[SignIn]:
    """One sign-in every three days from the office with a PowerShell script: 10 in 28 days."""
    return [signin(T0 + timedelta(days=d, hours=10), **OFFICE) for d in range(0, days, every_days)]


def test_a_rarely_used_app_used_from_a_vps_abroad_is_medium():
    """The app never reaches 30 sign-ins; after 21 days and 5 it is scored (sparse route), and
    network origin and client changing at once make it at least medium."""
    attack = [signin(RARE_END + timedelta(minutes=10 * k), **{**OFFICE, **VPS_SG})
              for k in range(5)]
    (d,) = detect([*rare_history(), *attack]).values()
    info = {e.key: e.value for e in d.additional_info}
    assert d.risk_level in (RiskLevel.medium, RiskLevel.high)
    assert d.activity_date_time == attack[0].created_date_time
    assert info["signInCount"] == 5  # not learned: every one of them is flagged
    assert "country SG: never in 27 days; usual NL 100%" in info["unfamiliarProperties"]
    assert info["sparseProfile"] == (
        "10 sign-ins in 27.7 days: scored after 21 days and 5 sign-ins (sparse route; 30 "
        "otherwise); ASN, country, user agent all unfamiliar at once: at least medium")


@pytest.mark.parametrize(
    "change",
    [
        {"ip_address": "84.30.7.9", "asn": 33915},  # from home: another Dutch ISP
        {"user_agent": "Mozilla/5.0 (Windows NT 10.0) PowerShell/7.5.0"},  # PowerShell upgraded
        {"resource_display_name": "Azure Key Vault", "resource_id": "r-kv"},
        {"ip_address": "84.30.7.9", "asn": 33915, "user_agent": "azure-cli/2.67.0"},
        {"ip_address": "62.2.1.9", "asn": 3303, "location": Location(country_or_region="CH")},
    ],
)
def test_a_rarely_used_apps_ordinary_variation_is_at_most_low(change):
    found = detect([*rare_history(), signin(RARE_END, **{**OFFICE, **change})])
    assert {d.risk_level for d in found.values()} <= {RiskLevel.low}


def test_a_rarely_used_app_is_still_learning_before_the_sparse_span():
    """Two weeks and five sign-ins: still learning, nothing is reported."""
    attack = signin(T0 + timedelta(days=14, hours=3), **{**OFFICE, **VPS_SG})
    assert detect([*rare_history(days=14), attack]) == {}


@pytest.mark.parametrize("size", [1, 4, 1000])
def test_batches_do_not_change_a_sparse_profiles_results(size):
    attack = [signin(RARE_END + timedelta(minutes=10 * k), **{**OFFICE, **VPS_SG})
              for k in range(5)]
    records = [*rare_history(), *attack]
    assert detect(records, batch=size) == detect(records, batch=100_000)


def test_a_dismissal_is_learned_at_the_same_sign_in_however_warm_the_cache():
    """A principal holding flagged sign-ins skips the familiar fast path, so the first sign-in
    past a dismissal applies it whether this process saw the principal's earlier sign-ins (a
    rebuild: a warm cache, where familiar sign-ins skipped scoring until the weekly maintenance,
    which halved counts first) or not (an ingest run per batch: a cold cache)."""
    job = [signin(AFTER + timedelta(minutes=m), **ABROAD) for m in (0, 5, 10)]
    records = [*history(days=35), *job, *history(days=10, start=AFTER + timedelta(hours=1))]
    records.sort(key=lambda s: s.created_date_time)
    flagged, rest = records[: records.index(job[-1]) + 1], records[records.index(job[-1]) + 1:]

    def states(cold: bool) -> dict[Any, Any]:
        ctx = MemoryContext()
        detector = SuspiciousSignins()
        (d,) = run(detector, batches(flagged, 500), ctx).values()
        ctx.stored[d.id] = replace(d, risk_state=RiskState.dismissed,
                                   last_updated_date_time=AFTER + timedelta(minutes=30))
        for b in batches(rest, 200):
            if cold:
                detector = SuspiciousSignins()  # another process: nothing cached
            detector.detect(b, ctx)
        return {k: v for k, v in ctx.states.items() if k[1] == SP}

    assert states(cold=True) == states(cold=False)
