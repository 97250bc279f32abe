"""Store tests: the same tests on SQLite and PostgreSQL, reading back sets of tuples."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from vigil.model import (
    AuditEvent,
    AuditTarget,
    ClientCredentialType,
    GraphActivity,
    Initiator,
    Location,
    PasswordCredential,
    RiskDetection,
    RiskLevel,
    RiskState,
    ServicePrincipal,
    ServicePrincipalType,
    SignIn,
    SignInKind,
    detection_id,
)
from vigil.services.risk import RiskService, UnknownServicePrincipals
from vigil.store import Reject

T0 = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)


def sign_in(n: int, sp: str = "sp-a", kind: SignInKind = SignInKind.servicePrincipal) -> SignIn:
    return SignIn(
        id=f"si-{n}",
        created_date_time=T0 + timedelta(minutes=n),
        kind=kind,
        service_principal_id=sp,
        app_id="app-a",
        ip_address="20.1.2.3",
        location=Location(country_or_region="US"),
        asn=8075,
        is_hosting=True,
        client_credential_type=ClientCredentialType.clientSecret,
        credential_key_id="0b1c2d3e-0000-4000-8000-000000000001",
    )


def test_sign_ins_are_idempotent_and_read_back_by_time_range(store):
    new = store.activity.add_sign_ins([(sign_in(n), b'{"raw": %d}' % n) for n in range(10)])
    assert len(new) == 10
    again = store.activity.add_sign_ins([(sign_in(n), None) for n in range(5, 15)])
    assert again == [f"si-{n}" for n in range(10, 15)]
    got = store.activity.sign_ins_of("sp-a", T0 + timedelta(minutes=3), T0 + timedelta(minutes=6))
    assert [(s.id, s.created_date_time, s.asn) for s in got] == [
        (f"si-{n}", T0 + timedelta(minutes=n), 8075) for n in (3, 4, 5)
    ]
    assert got[0] == sign_in(3)
    assert store.activity.raw_record("signins", "si-3") == b'{"raw": 3}'
    assert store.activity.counts()["signIns"] == 15


def test_duplicates_inside_one_batch_are_stored_once(store):
    assert store.activity.add_sign_ins([(sign_in(1), None), (sign_in(1), None)]) == ["si-1"]
    mi = sign_in(2, kind=SignInKind.managedIdentity)
    store.activity.add_sign_ins([(mi, None)])
    counts = store.activity.counts()
    assert (counts["signIns"], counts["managedIdentitySignIns"]) == (1, 1)


def test_an_audit_id_twice_in_one_batch_indexes_the_targets_of_the_stored_copy(store):
    from dataclasses import replace

    from vigil.store.tables import audit_targets

    first = AuditEvent(
        id="audit-dup",
        activity_date_time=T0,
        activity_display_name="Update application",
        targets=(AuditTarget(id="target-a", type="Application"),),
    )
    second = replace(first, targets=(AuditTarget(id="target-b", type="Application"),))
    assert store.activity.add_audit_events([(first, None), (second, None)]) == ["audit-dup"]
    assert list(store.activity.iter_audit_events()) == [first]
    with store.engine.connect() as conn:
        targets = conn.execute(sa.select(audit_targets.c.target_id)).scalars().all()
    assert targets == ["target-a"]


def test_audit_events_and_graph_activity(store):
    event = AuditEvent(
        id="audit-1",
        activity_date_time=T0,
        activity_display_name="Add service principal credentials",
        category="ApplicationManagement",
        result="success",
        initiated_by=Initiator(kind="app", service_principal_id="sp-a", app_id="app-a"),
        targets=(
            AuditTarget(id="sp-b", type="ServicePrincipal"),
            AuditTarget(id="app-b", type="Application"),
        ),
    )
    assert store.activity.add_audit_events([(event, None)]) == ["audit-1"]
    assert store.activity.add_audit_events([(event, None)]) == []
    assert list(store.activity.iter_audit_events()) == [event]
    from vigil.store.tables import audit_targets

    with store.engine.connect() as conn:
        rows = set(
            conn.execute(sa.select(audit_targets.c.target_id, audit_targets.c.target_type)).all()
        )
    assert rows == {("sp-b", "ServicePrincipal"), ("app-b", "Application")}
    g = GraphActivity(
        id="req-1",
        time=T0,
        request_method="GET",
        request_uri="https://graph.microsoft.com/v1.0/users?$top=999",
        response_status_code=200,
        service_principal_id="sp-a",
    )
    assert store.activity.add_graph_activities([(g, None), (g, None)]) == ["req-1"]
    assert store.activity.counts() == {
        "signIns": 0,
        "managedIdentitySignIns": 0,
        "directoryAudits": 1,
        "graphActivities": 1,
    }


def test_inventory_upsert_newest_wins(store):
    sp = ServicePrincipal(
        id="sp-a",
        app_id="app-a",
        display_name="Payroll",
        service_principal_type=ServicePrincipalType.Application,
        password_credentials=(PasswordCredential(key_id="k1", hint="abc"),),
    )
    store.inventory.upsert_service_principals([(sp, None)], T0)
    renamed = ServicePrincipal(id="sp-a", app_id="app-a", display_name="Payroll v2")
    store.inventory.upsert_service_principals([(renamed, None)], T0)
    assert store.inventory.service_principal("sp-a") == renamed
    assert store.inventory.counts() == {"servicePrincipals": 1, "applications": 0}
    assert store.inventory.service_principal("nope") is None


def test_disabling_keeps_a_snapshot_committed_meanwhile(store):
    """PATCH accountEnabled while an ingest writes a new snapshot of the principal: the disable
    waits for the ingest and changes only accountEnabled. It read the document before the
    snapshot committed and wrote that back, so the snapshot's name and credentials were lost
    (seen with vigil serve beside an ingest --follow of snapshots: 1142 torn rows in 30 s).

    The snapshot commits once the disable has gone as far as it can without the write lock: it
    found the lock taken and waits (a :class:`WaitNotice` told at once), or, as it did, it has
    read the principal (its write then waits). No sleep decides it."""
    import threading

    from sqlalchemy import event

    from vigil.store.database import IMMEDIATE, WRITE_LOCK_NOTICE, WaitNotice, connect

    sp = ServicePrincipal(id="sp-a", app_id="app-a", display_name="Payroll")
    store.inventory.upsert_service_principals([(sp, None)], T0)
    new = replace(sp, display_name="Payroll v2",
                  password_credentials=(PasswordCredential(key_id="k2", hint="xyz"),))
    done: list[object] = []
    blocked, how = threading.Event(), []

    def disable() -> None:
        done.append(store.inventory.set_account_enabled("sp-a", False))

    def waits(message: str) -> None:
        if message.startswith("waiting"):
            how.append("waits for the lock")
            blocked.set()

    def read(conn, cursor, statement, *_):
        if threading.current_thread() is thread and "FROM service_principals" in statement:
            how.append("read")
            blocked.set()

    store.engine.update_execution_options(**{WRITE_LOCK_NOTICE: WaitNotice(0, waits)})
    event.listen(store.engine, "after_cursor_execute", read)
    thread = threading.Thread(target=disable)
    ingest = connect(str(store.engine.url.render_as_string(hide_password=False)))
    with ingest.connect().execution_options(**{IMMEDIATE: True}) as writer, writer.begin():
        store.inventory.upsert_service_principals([(new, None)], T0, writer)
        thread.start()
        assert blocked.wait(30), "the disable neither waited for the lock nor read"
    thread.join(30)
    event.remove(store.engine, "after_cursor_execute", read)
    ingest.dispose()
    assert done == [True]
    assert store.inventory.service_principal("sp-a") == replace(new, account_enabled=False)
    assert how == ["waits for the lock", "read"]


def _detection(n: int, level: RiskLevel, sp: str = "sp-a") -> RiskDetection:
    return RiskDetection(
        id=detection_id("suspiciousSignins", sp, str(n)),
        service_principal_id=sp,
        risk_event_type="suspiciousSignins",
        risk_level=level,
        risk_state=RiskState.atRisk,
        activity_date_time=T0,
        detected_date_time=T0,
        last_updated_date_time=T0,
        app_id="app-a",
        service_principal_display_name="Payroll",
        key_ids=("k1",),
        location=Location(city="Lagos", country_or_region="NG"),
    )


def test_risk_actions_persist_state_detections_and_history(store, clock):
    service = RiskService(store, clock)
    store.inventory.upsert_service_principals(
        [(ServicePrincipal(id="sp-a", app_id="app-a", display_name="Payroll"), None)], T0
    )
    d = _detection(1, RiskLevel.medium)
    assert service.record_detection(d) is not None
    assert service.record_detection(d) is None  # same evidence again: nothing changes
    clock.advance(minutes=5)
    service.confirm_compromised(["sp-a"], "alice@contoso")
    clock.advance(minutes=5)
    service.dismiss(["sp-a"], "bob@contoso")
    risky = store.risk.risky("sp-a")
    assert (risky.risk_state, risky.risk_level, risky.display_name) == (
        RiskState.dismissed,
        RiskLevel.none,
        "Payroll",
    )
    history = store.risk.history("sp-a")
    assert [(h.sequence, h.principal.risk_state, h.initiated_by) for h in history] == [
        (1, RiskState.atRisk, "Vigil"),
        (2, RiskState.confirmedCompromised, "alice@contoso"),
        (3, RiskState.dismissed, "bob@contoso"),
    ]
    stored = {(x.risk_event_type, x.risk_state) for x in store.risk.list_detections()}
    assert stored == {
        ("suspiciousSignins", RiskState.dismissed),
        ("adminConfirmedServicePrincipalCompromised", RiskState.dismissed),
    }
    assert store.risk.detection(d.id).location == d.location


def test_an_action_that_fails_part_way_changes_nothing(store, clock, monkeypatch):
    """Each id was applied in its own transaction: a failure at the second principal left the
    first one confirmed, with its history item."""
    service = RiskService(store, clock)
    store.inventory.upsert_service_principals(
        [(ServicePrincipal(id=i, app_id=f"app-{i}", display_name=i), None) for i in ("a", "b")],
        T0,
    )
    calls = []
    real = type(store.risk)._store

    def fail_second(self, conn, result):
        calls.append(result)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(self, conn, result)

    monkeypatch.setattr(type(store.risk), "_store", fail_second)
    with pytest.raises(RuntimeError):
        service.confirm_compromised(["a", "b"], "alice")
    assert len(calls) == 2
    assert store.risk.risky("a") is None and store.risk.history("a") == []


def test_a_detection_without_a_name_takes_the_inventorys_once(store, clock):
    """Graph activity carries no principal name: the detection takes the inventory's; the same
    evidence again after a rename is no change (no transition, no history item)."""
    service = RiskService(store, clock)
    sp = ServicePrincipal(id="sp-a", app_id="app-a", display_name="Payroll")
    store.inventory.upsert_service_principals([(sp, None)], T0)
    d = replace(_detection(1, RiskLevel.medium), service_principal_display_name=None, app_id=None)
    assert service.record_detection(d) is not None
    assert (
        store.risk.detection(d.id).service_principal_display_name,
        store.risk.detection(d.id).app_id,
    ) == ("Payroll", "app-a")
    renamed = replace(sp, display_name="Payroll v2")
    store.inventory.upsert_service_principals([(renamed, None)], T0 + timedelta(days=1))
    assert service.record_detection(d) is None
    assert len(store.risk.history("sp-a")) == 1


def test_unknown_ids_change_nothing(store, clock):
    service = RiskService(store, clock)
    service.record_detection(_detection(1, RiskLevel.low))
    with pytest.raises(UnknownServicePrincipals) as err:
        service.dismiss(["sp-a", "ghost"], "alice")
    assert err.value.ids == ("ghost",)
    assert store.risk.risky("sp-a").risk_state == RiskState.atRisk
    assert len(store.risk.history("sp-a")) == 1


def test_history_is_append_only_in_the_database(store, clock):
    RiskService(store, clock).record_detection(_detection(1, RiskLevel.high))
    from vigil.store.tables import risk_history

    for statement in (
        sa.update(risk_history).values(initiated_by="mallory"),
        sa.delete(risk_history),
    ):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), store.engine.begin() as conn:
            conn.execute(statement)
    assert [h.initiated_by for h in store.risk.history("sp-a")] == ["Vigil"]


def test_list_filter_order_and_paging(store, clock):
    service = RiskService(store, clock)
    levels = [RiskLevel.low, RiskLevel.medium, RiskLevel.high]
    for n in range(30):
        clock.advance(minutes=1)
        service.record_detection(_detection(n, levels[n % 3], sp=f"sp-{n:02d}"))
    from vigil.store.risk import RISKY_COLUMNS as C

    high = store.risk.list_risky(
        C["risk_level"] == "high", [(C["risk_last_updated_date_time"], True)]
    )
    assert [p.id for p in high] == [f"sp-{n:02d}" for n in range(29, -1, -1) if n % 3 == 2]
    assert store.risk.count_risky(C["risk_level"] == "high") == 10
    pages = [store.risk.list_risky(None, [], limit=7, offset=o) for o in range(0, 30, 7)]
    assert [p.id for page in pages for p in page] == sorted(f"sp-{n:02d}" for n in range(30))
    since = T0.replace(year=2026, month=1, day=1, hour=12, minute=10)
    assert store.risk.count_risky(C["risk_last_updated_date_time"] > since) == 20


def test_rejects_are_kept_once(store, clock):
    r = Reject(
        source="a.jsonl", line=3, reason="missing createdDateTime", kind="signins", raw=b"{}"
    )
    store.rejects.add([r, r], clock())
    store.rejects.add([r], clock())
    assert store.rejects.count() == 1
    assert store.rejects.list() == [r]


@pytest.mark.postgres
def test_writing_transactions_take_turns_on_postgresql(pg_url: str) -> None:
    """BEGIN IMMEDIATE's counterpart: a second writing transaction waits for the first to end
    (two ingests kept each its own detector state and lost the other's)."""
    import threading
    import time

    from vigil.store.database import IMMEDIATE, connect

    engine = connect(pg_url)
    entered: list[float] = []
    with engine.connect().execution_options(**{IMMEDIATE: True}) as first, first.begin():
        first.exec_driver_sql("SELECT 1")

        def second() -> None:
            with engine.connect().execution_options(**{IMMEDIATE: True}) as conn, conn.begin():
                entered.append(time.monotonic())

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        assert entered == []  # still waiting
        released = time.monotonic()
    thread.join(10)
    assert entered and entered[0] >= released
    with engine.connect() as plain, plain.begin():  # a reader takes no lock
        plain.exec_driver_sql("SELECT 1")
    engine.dispose()
