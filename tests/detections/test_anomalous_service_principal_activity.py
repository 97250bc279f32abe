"""anomalousServicePrincipalActivity on hand-built audit records: rules, model, links, learning."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from behaviour_sim import T0, MemoryContext, batches, run

from vigil.detections.actor_profiles import ActorProfile
from vigil.detections.anomalous_service_principal_activity import (
    AnomalousServicePrincipalActivity,
    Params,
)
from vigil.detections.audit_operations import Finding
from vigil.model import (
    ActivityType,
    AuditEvent,
    AuditTarget,
    Initiator,
    ModifiedProperty,
    RiskDetection,
    RiskLevel,
    RiskState,
    ServicePrincipal,
)
from vigil.normalize import normalize

ACTOR, ACTOR_APP = "a1a1a1a1-0000-4000-8000-000000000001", "a1a1a1a1-0000-4000-8000-0000000000aa"
VICTIM, VICTIM_APP = "b2b2b2b2-0000-4000-8000-000000000002", "b2b2b2b2-0000-4000-8000-0000000000bb"
BOT = Initiator(kind="app", id=ACTOR, service_principal_id=ACTOR, app_id=ACTOR_APP,
                display_name="Tenant Admin Automation")
ADMIN = Initiator(kind="user", id="u1", user_principal_name="anouk@contoso.com")
MSI = Initiator(kind="app", id="c3c3", service_principal_id="c3c3",
                display_name="Managed Service Identity")
_n = [0]


def _enc(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def prop(name: str, new: Any, old: Any = None) -> ModifiedProperty:
    return ModifiedProperty(name, _enc(old), _enc(new))


def event(at, activity: str, targets: list[AuditTarget], by: Initiator = BOT,
          details: tuple[tuple[str, str | None], ...] = (), result: str = "success") -> AuditEvent:
    _n[0] += 1
    return AuditEvent(id=f"Directory_{_n[0]:06d}", activity_date_time=at,
                      activity_display_name=activity, result=result, initiated_by=by,
                      targets=tuple(targets), additional_details=details,
                      correlation_id=f"corr-{_n[0]:06d}")


def retag(at, by: Initiator = BOT) -> AuditEvent:
    kind = "Update application" if _n[0] % 2 else "Update service principal"
    target = AuditTarget("obj-x", "Application" if "application" in kind else "ServicePrincipal",
                         "some-app", modified_properties=(prop("Tags", ["owner:hr"], []),))
    return event(at, kind, [target], by, (("AppId", "e5e5"),))


def routine(days: int = 20) -> list[AuditEvent]:
    return [retag(T0 + timedelta(days=d, hours=3)) for d in range(0, days, 2)]


AT = T0 + timedelta(days=21)
KEY_OLD = ("[KeyIdentifier=11111111-1111-4111-8111-111111111111,KeyType=Password,"
           "KeyUsage=Verify,DisplayName=prod]")
KEY_NEW = ("[KeyIdentifier=22222222-2222-4222-8222-222222222222,KeyType=Password,"
           "KeyUsage=Verify,DisplayName=backup]")


def credential_added(target_app: str = VICTIM_APP, by: Initiator = BOT, at=AT,
                     new_key: str = KEY_NEW) -> AuditEvent:
    t = AuditTarget("app-obj", "Application", "warehouse-archiver", modified_properties=(
        prop("KeyDescription", [KEY_OLD, new_key], [KEY_OLD]),))
    return event(at, "Update application \u2013 Certificates and secrets management ", [t], by,
                 (("AppId", target_app),))


def app_role(role: str, client: str = ACTOR) -> AuditEvent:
    t = AuditTarget("graph-sp", "ServicePrincipal", "Microsoft Graph", modified_properties=(
        prop("AppRole.Value", role), prop("ServicePrincipal.ObjectID", client),
        prop("ServicePrincipal.DisplayName", "Tenant Admin Automation")))
    return event(AT, "Add app role assignment to service principal", [t])


def owner_added() -> AuditEvent:
    owner = AuditTarget(ACTOR, "ServicePrincipal", "Tenant Admin Automation", modified_properties=(
        prop("ServicePrincipal.ObjectID", VICTIM), prop("ServicePrincipal.DisplayName", "orders")))
    return event(AT, "Add owner to service principal",
                 [owner, AuditTarget(VICTIM, "ServicePrincipal", "orders")])


def role_member(role: str) -> AuditEvent:
    t = AuditTarget(ACTOR, "ServicePrincipal", "Tenant Admin Automation", modified_properties=(
        prop("Role.DisplayName", role),))
    return event(AT, "Add member to role", [t])


def consent(scopes: str) -> AuditEvent:
    t = AuditTarget(VICTIM, "ServicePrincipal", "orders", modified_properties=(
        prop("ConsentAction.Permissions", f"[[ClientId: {VICTIM}, Scope: {scopes}]]"),))
    return event(AT, "Consent to application", [t])


VICTIM_SP = ServicePrincipal(id=VICTIM, app_id=VICTIM_APP, display_name="warehouse-archiver")


def detect(records, params: Params | None = None, ctx: MemoryContext | None = None, size=50):
    ctx = ctx or MemoryContext(sps=[VICTIM_SP])
    return run(AnomalousServicePrincipalActivity(params), batches(records, size), ctx)


def levels(found) -> dict[str, str]:
    return {d.service_principal_id: d.risk_level.value for d in found.values()}


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: retag(AT), {}),
        (credential_added, {ACTOR: "high", VICTIM: "high"}),
        (lambda: credential_added(target_app=ACTOR_APP), {}),  # its own credential: model only
        (owner_added, {ACTOR: "medium", VICTIM: "medium"}),
        (lambda: app_role("RoleManagement.ReadWrite.Directory"), {ACTOR: "high"}),
        (lambda: app_role("AppRoleAssignment.ReadWrite.All", client=VICTIM),
         {ACTOR: "high", VICTIM: "high"}),
        (lambda: app_role("User.Read.All"), {}),
        (lambda: role_member("Privileged Role Administrator"), {ACTOR: "high"}),
        (lambda: role_member("Directory Readers"), {ACTOR: "medium"}),
        (lambda: consent("User.Read offline_access"), {ACTOR: "medium", VICTIM: "medium"}),
        (lambda: consent("Directory.ReadWrite.All"), {ACTOR: "high", VICTIM: "high"}),
        (lambda: credential_added(by=MSI), {}),  # the platform actor
        (lambda: credential_added(by=ADMIN), {}),  # users are not service principals
    ],
)
def test_payload_table(make, expected):
    assert levels(detect([*routine(), make()])) == expected


def test_failed_operations_are_ignored():
    e = credential_added()
    failed = AuditEvent(**{**{f: getattr(e, f) for f in e.__slots__}, "result": "failure"})
    assert detect([*routine(), failed]) == {}


def test_actor_and_changed_object_are_linked_and_explained():
    cred = credential_added()
    found = detect([*routine(), cred])
    actor = next(d for d in found.values() if d.service_principal_id == ACTOR)
    victim = next(d for d in found.values() if d.service_principal_id == VICTIM)
    assert actor.correlation_id == victim.correlation_id == cred.correlation_id
    assert actor.activity == victim.activity == ActivityType.servicePrincipal
    assert victim.key_ids == ("22222222-2222-4222-8222-222222222222",)
    a_info = {e.key: e.value for e in actor.additional_info}
    v_info = {e.key: e.value for e in victim.additional_info}
    assert v_info["actorDetectionId"] == actor.id
    assert a_info["changedObjects"] == [f"warehouse-archiver (appId {VICTIM_APP})"]
    assert "added credential 22222222-2222-4222-8222-222222222222 to warehouse-archiver " \
           "(never before)" in a_info["operations"][0]


def test_one_actor_detection_per_episode():
    later = app_role("RoleManagement.ReadWrite.Directory")
    later = AuditEvent(**{**{f: getattr(later, f) for f in later.__slots__},
                          "activity_date_time": AT + timedelta(minutes=9)})
    found = detect([*routine(), credential_added(), later])
    (actor,) = [d for d in found.values() if d.service_principal_id == ACTOR]
    assert actor.activity_date_time == AT
    assert len({e.key: e.value for e in actor.additional_info}["operations"]) == 2


def key(n: int) -> str:
    return (f"[KeyIdentifier=3333333{n}-3333-4333-8333-333333333333,KeyType=Password,"
            "KeyUsage=Verify,DisplayName=rotated]")


def actor_detections(found) -> list:
    return sorted((d for d in found.values() if d.service_principal_id == ACTOR),
                  key=lambda d: d.activity_date_time)


def test_the_same_target_again_is_known_once_the_episode_is_over():
    """Red team scenario 3: an automation rotating a daemon's secret (days 21 and 31) fired high
    on itself and on the daemon at every rotation. The first is new; later ones are known. Within
    the episode a repeat still adds its evidence."""
    first = credential_added(new_key=key(1))
    repeat = credential_added(at=AT + timedelta(minutes=5), new_key=key(2))
    later = credential_added(at=AT + timedelta(days=10), new_key=key(3))
    found = detect([*routine(), first, repeat, later])
    assert levels(found) == {ACTOR: "high", VICTIM: "high"}
    (actor,) = actor_detections(found)
    assert actor.activity_date_time == AT
    assert actor.key_ids == ("33333331-3333-4333-8333-333333333333",
                             "33333332-3333-4333-8333-333333333333")


def test_a_new_target_is_never_before_whatever_else_the_kind_was_done_to():
    """Red team scenario 10b: an actor that added credentials to app X during the tenant's first
    audit week was exempt for every later target, a Tier-0 app included."""
    other = "d4d4d4d4-0000-4000-8000-0000000000dd"
    early = [credential_added(target_app=other, at=T0 + timedelta(days=d, hours=5))
             for d in (1, 3, 5)]  # the tenant's audit log is still learning: known, not reported
    found = detect([*early, *routine(), credential_added()])
    assert levels(found) == {ACTOR: "high", VICTIM: "high"}
    (actor,) = actor_detections(found)
    ops = {e.key: e.value for e in actor.additional_info}["operations"]
    assert "to warehouse-archiver (never before for this object; 1 other object)" in ops[0]
    assert levels(detect([*early, *routine(), credential_added(target_app=other)])) == {}


def test_a_version_1_state_is_upgraded_and_its_kinds_cover_no_target():
    """Version 1 kept kinds only; read as "every target" they would keep the hole open."""
    ctx = MemoryContext(sps=[VICTIM_SP])
    detect(routine(), ctx=ctx)
    key = ("anomalousServicePrincipalActivity", ACTOR)
    v2 = json.loads(ctx.states[key])
    v1 = {**v2, "version": 1, "done": ["credentialAdded"]}
    ctx.states[key] = json.dumps(v1).encode()
    profile = ActorProfile(v1)
    assert (profile.first, profile.n, profile.model.to_state()) == (v2["first"], v2["n"],
                                                                    v2["model"])
    assert profile.done == {}
    assert levels(detect([credential_added()], ctx=ctx)) == {ACTOR: "high", VICTIM: "high"}


def test_an_actor_remembers_its_last_max_done_pairs():
    profile = ActorProfile(None)
    found = [Finding("credentialAdded", "high", "added", target=f"app:{i}") for i in range(10)]
    profile.learn("op", found, 0, 30, cap=4)
    assert [profile.knows(f) for f in found] == [False] * 6 + [True] * 4
    assert profile.others("credentialAdded") == 4
    assert len(json.dumps(ActorProfile(profile.to_state()).to_state()["done"])) < 80


@pytest.mark.parametrize(("report", "expected"), [(False, {}), (True, {ACTOR: "low", VICTIM: "low"})])
def test_the_first_days_of_audit_history_are_learning(report, expected):
    early = [retag(T0), credential_added()]
    early[1] = AuditEvent(**{**{f: getattr(early[1], f) for f in early[1].__slots__},
                             "activity_date_time": T0 + timedelta(days=2)})
    assert levels(detect(early, Params(report_learning=report))) == expected


def test_a_changed_application_waits_for_its_service_principal():
    records = [*routine(), credential_added()]
    ctx = MemoryContext()  # the inventory arrives later (a folder ingest reads audit/ first)
    first = detect(records, ctx=ctx)
    assert levels(first) == {ACTOR: "high"}
    ctx.sps[VICTIM] = VICTIM_SP
    later = run(AnomalousServicePrincipalActivity(), batches([], 1, [VICTIM_SP]), ctx)
    assert levels(later) == {VICTIM: "high"}
    assert {**first, **later} == detect(records)


def test_the_public_platform_rotation_sample_is_not_anomalous():
    path = Path("/work/shared/samples/public/elastic-azure-integration/AuditLogs.records.jsonl")
    if not path.exists():
        pytest.skip("public samples not present")
    records = [normalize(json.loads(line), shape_hint="diagnostic")
               for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    events = [r for r in records if isinstance(r, AuditEvent)]
    assert events and all(e.initiated_by and e.initiated_by.kind == "app" for e in events)
    assert detect([*routine(), *events]) == {}


def test_a_changed_application_waits_for_an_inventory_read_after_a_long_audit_log():
    """A folder ingest reads audit/ (here 35 days past the change) before the inventory: the
    changed application's detection still comes when the inventory does, as in a rebuild."""
    after = [retag(AT + timedelta(days=d), by=ADMIN) for d in range(1, 36)]
    records = [*routine(), credential_added(), *after]
    ctx = MemoryContext()
    first = detect(records, ctx=ctx, size=5)
    ctx.sps[VICTIM] = VICTIM_SP
    later = run(AnomalousServicePrincipalActivity(), batches([], 1, [VICTIM_SP]), ctx)
    assert levels({**first, **later}) == levels(detect(records, size=5)) == {
        ACTOR: "high", VICTIM: "high"}


def test_a_changed_application_without_principal_goes_after_a_snapshot_and_pending_days():
    ctx = MemoryContext()
    detect([*routine(), credential_added()], ctx=ctx)
    other = ServicePrincipal(id="c4c4", app_id="c4c4-app", display_name="other")
    run(AnomalousServicePrincipalActivity(), batches([], 1, [other]), ctx)  # lacks the victim
    tenant = "_tenant"
    assert len(ctx.load_state("anomalousServicePrincipalActivity", tenant)["pending"]) == 1
    detect([retag(AT + timedelta(days=31), by=ADMIN)], ctx=ctx)
    assert ctx.load_state("anomalousServicePrincipalActivity", tenant)["pending"] == []


def test_an_actor_that_changes_many_objects_says_how_many():
    """Credentials added to 60 applications in one episode: the actor's detection listed 20
    operations and no count, and every one of the 60 changed objects (a list without bound)."""
    apps = [f"c{i:07d}-0000-4000-8000-0000000000cc" for i in range(60)]
    sps = [ServicePrincipal(id=f"d{i:07d}-0000-4000-8000-0000000000dd", app_id=a,
                            display_name=f"app{i}") for i, a in enumerate(apps)]
    events = [replace(credential_added(a), activity_date_time=AT + timedelta(minutes=i))
              for i, a in enumerate(apps)]
    found = detect([*routine(), *events], ctx=MemoryContext(sps=sps))
    assert len(found) == 61  # the actor and each changed principal
    (actor,) = [d for d in found.values() if d.service_principal_id == ACTOR]
    info = {e.key: e.value for e in actor.additional_info}
    assert (len(info["operations"]), info["operationCount"]) == (20, 60)
    assert (len(info["changedObjects"]), info["changedObjectCount"]) == (20, 60)


def test_each_batch_sends_only_the_objects_it_changed():
    """An actor changing 60 applications one batch at a time: each batch re-sent the detection of
    every object changed so far (1,830 in all, quadratic in the episode's size)."""
    apps = [f"c{i:07d}-0000-4000-8000-0000000000cc" for i in range(60)]
    sps = [ServicePrincipal(id=f"d{i:07d}-0000-4000-8000-0000000000dd", app_id=a,
                            display_name=f"app{i}") for i, a in enumerate(apps)]
    events = [replace(credential_added(a), activity_date_time=AT + timedelta(minutes=i))
              for i, a in enumerate(apps)]
    detector, ctx = AnomalousServicePrincipalActivity(), MemoryContext(sps=sps)
    for b in batches(routine(), 50):
        detector.detect(b, ctx)
    sent = [d for b in batches(events, 1) for d in detector.detect(b, ctx)]
    targets = [d for d in sent if d.service_principal_id != ACTOR]
    assert len(targets) == 60 and len({d.id for d in targets}) == 60
    assert len(sent) - len(targets) == 60  # the actor's episode, once per batch


def test_an_object_changed_many_times_lists_its_first_operations_and_counts():
    events = [replace(credential_added(), activity_date_time=AT + timedelta(minutes=i))
              for i in range(30)]
    found = detect([*routine(), *events])
    (victim,) = [d for d in found.values() if d.service_principal_id == VICTIM]
    info = {e.key: e.value for e in victim.additional_info}
    assert (len(info["operations"]), info["operationCount"]) == (20, 30)
    assert info["operations"][0].startswith(AT.isoformat()[:16])


def _app_credential(object_id: str, name: str, at) -> AuditEvent:
    """A credential added to an application named only by its object id and display name (no
    AppId detail, no service principal names)."""
    t = AuditTarget(object_id, "Application", name, modified_properties=(
        prop("KeyDescription", [KEY_OLD, KEY_NEW], [KEY_OLD]),))
    return event(at, "Update application \u2013 Certificates and secrets management ", [t])


def test_an_application_is_known_by_its_object_id_not_its_name():
    """Two applications may share a display name: one the actor rotates and a Tier-0 one
    named the same. What the actor did to the first does not cover the second."""
    routine_app = "e1e1e1e1-0000-4000-8000-0000000000e1"
    tier0 = "f2f2f2f2-0000-4000-8000-0000000000f2"
    early = [_app_credential(routine_app, "Reporting", T0 + timedelta(days=d, hours=5))
             for d in (1, 3)]  # learned while the tenant's audit log is young
    found = detect([*early, *routine(), _app_credential(tier0, "Reporting", AT)])
    assert levels(found) == {ACTOR: "high"}
    assert levels(detect([*early, *routine(), _app_credential(routine_app, "Reporting", AT)])) == {}


def test_adding_another_owner_to_a_known_object_is_new():
    """An actor that once added owner A to an object is not thereby allowed to add B."""
    def added(owner_id: str, at) -> AuditEvent:
        owner = AuditTarget(owner_id, "User", f"user {owner_id[:4]}", modified_properties=(
            prop("ServicePrincipal.ObjectID", VICTIM),
            prop("ServicePrincipal.DisplayName", "orders")))
        return event(at, "Add owner to service principal",
                     [owner, AuditTarget(VICTIM, "ServicePrincipal", "orders")])

    first = "a0a0a0a0-0000-4000-8000-0000000000a0"
    early = [added(first, T0 + timedelta(days=2))]
    assert levels(detect([*early, *routine(), added(first, AT)])) == {}
    second = "b0b0b0b0-0000-4000-8000-0000000000b0"
    assert levels(detect([*early, *routine(), added(second, AT)])) == {
        ACTOR: "medium", VICTIM: "medium"}


def _after_verdict(state: RiskState, later: AuditEvent) -> list[RiskDetection]:
    """The actor's detections when an admin closes its first (a credential added to the victim)
    as ``state`` half an hour after it and ``later`` comes an hour after it, inside the
    episode's 24-hour gap."""
    ctx = MemoryContext(sps=[VICTIM_SP])
    first = detect([*routine(), credential_added()], ctx=ctx)
    for d in first.values():
        ctx.stored[d.id] = replace(d, risk_state=state,
                                   last_updated_date_time=AT + timedelta(minutes=30))
    return actor_detections({**first, **detect([later], ctx=ctx)})


def test_a_dismissed_episode_teaches_and_a_new_operation_after_it_is_a_new_detection():
    """Dismissed: the same change again is known (the admin said it was benign); another
    dangerous operation is a new detection, where it used to grow the dismissed one unseen."""
    repeat = credential_added(at=AT + timedelta(hours=1), new_key=key(1))
    assert len(_after_verdict(RiskState.dismissed, repeat)) == 1
    role = app_role("RoleManagement.ReadWrite.Directory")
    role = AuditEvent(**{**{f: getattr(role, f) for f in role.__slots__},
                         "activity_date_time": AT + timedelta(hours=1)})
    _first, new = _after_verdict(RiskState.dismissed, role)
    assert new.risk_level == RiskLevel.high and new.activity_date_time == AT + timedelta(hours=1)
    info = {e.key: e.value for e in new.additional_info}
    assert info["lastOperation"] == (AT + timedelta(hours=1)).isoformat()


def test_a_remediated_episode_teaches_nothing():
    repeat = credential_added(at=AT + timedelta(hours=1), new_key=key(1))
    _first, new = _after_verdict(RiskState.remediated, repeat)
    assert new.activity_date_time == AT + timedelta(hours=1)


def test_a_late_remediation_gives_the_same_detections_on_a_replay():
    """Remediated two days after the episode, which ended by its gap meanwhile (its pairs known
    from then on): a replay with the verdict stored must not forget them at an operation inside
    the gap, before the verdict, and find the next rotation new (a rebuild at risk again)."""
    history = [*routine(), credential_added(new_key=key(1)), retag(AT + timedelta(hours=2)),
               retag(AT + timedelta(hours=30))]
    later = [credential_added(at=AT + timedelta(days=3), new_key=key(2))]
    ctx = MemoryContext(sps=[VICTIM_SP])
    first = detect(history, ctx=ctx)
    for d in first.values():
        ctx.stored[d.id] = replace(d, risk_state=RiskState.remediated,
                                   last_updated_date_time=AT + timedelta(days=2))
    streamed = {**first, **detect(later, ctx=ctx)}
    replay = MemoryContext(sps=[VICTIM_SP])
    replay.stored = dict(ctx.stored)
    assert len(actor_detections(streamed)) == 1
    assert sorted(detect([*history, *later], ctx=replay)) == sorted(streamed)
