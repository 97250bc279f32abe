"""The bulk insert of activity rows, on SQLite and PostgreSQL (where it goes through ``COPY``).

Values that text-format ``COPY`` must escape (tabs, newlines, backslashes, ``\\N``, NUL-free
binary, non-ASCII) come back exactly; batches sharing a transaction each report their own new ids;
a rolled-back batch leaves nothing behind; PostgreSQL's staging table is empty after each batch.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from vigil.model import (
    AuditEvent,
    ClientCredentialType,
    GraphActivity,
    Location,
    SignIn,
    SignInKind,
)
from vigil.store.tables import sign_ins

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
AWKWARD = 'agent\twith\ttabs\nnew line \\ back\\slash \\N "quoted" ünïcødé ✓ \r end'


def _sign_in(n: int, **kw) -> SignIn:
    fields = dict(
        id=f"si-{n}",
        created_date_time=T0 + timedelta(seconds=n),
        kind=SignInKind.servicePrincipal,
        service_principal_id="sp-a",
        ip_address="2001:db8::1",
        location=Location(city="Zürich\tCity", country_or_region="CH", latitude=47.37),
        asn=3303,
        is_hosting=[True, False, None][n % 3],
        client_credential_type=ClientCredentialType.clientSecret,
        credential_key_id="0f8fad5b-d9cb-469f-a165-70867728950e",
        user_agent=AWKWARD,
        failure_reason="line one\nline two \\N",
    )
    fields.update(kw)
    return SignIn(**fields)


def test_awkward_values_round_trip(store):
    items = [(_sign_in(n), AWKWARD.encode() + bytes(range(1, 256))) for n in range(6)]
    assert store.activity.add_sign_ins(items) == [f"si-{n}" for n in range(6)]
    assert store.activity.sign_ins_of("sp-a") == [s for s, _ in items]
    for n in range(6):
        assert store.activity.raw_record("signins", f"si-{n}") == items[n][1]


def test_graph_and_audit_rows_round_trip(store):
    g = GraphActivity(
        id="req-1",
        time=T0,
        service_principal_id="sp-a",
        request_method="GET",
        request_uri="https://graph.microsoft.com/v1.0/users?$filter=displayName eq 'a\tb'",
        response_status_code=200,
        user_agent=AWKWARD,
    )
    assert store.activity.add_graph_activities([(g, b"\\N\t\n")]) == ["req-1"]
    assert list(store.activity.iter_graph_activities()) == [g]
    a = AuditEvent(
        id="Directory_1",
        activity_date_time=T0,
        activity_display_name="Update application \\ \t\n",
    )
    assert store.activity.add_audit_events([(a, None)]) == ["Directory_1"]
    assert list(store.activity.iter_audit_events()) == [a]


def test_batches_in_one_transaction_each_report_their_new_ids(store):
    with store.engine.begin() as conn:
        first = store.activity.add_sign_ins([(_sign_in(n), None) for n in (1, 2, 2, 3)], conn)
        second = store.activity.add_sign_ins([(_sign_in(n), None) for n in (3, 4, 1, 5)], conn)
        third = store.activity.add_sign_ins([(_sign_in(n), None) for n in (5, 4)], conn)
    assert (first, second, third) == (["si-1", "si-2", "si-3"], ["si-4", "si-5"], [])
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sign_ins)).scalar_one() == 5


def test_a_rolled_back_batch_leaves_nothing_and_the_next_one_works(store):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.engine.begin() as conn:
        assert store.activity.add_sign_ins([(_sign_in(n), None) for n in (1, 2)], conn)
        raise Boom
    assert store.activity.sign_ins_of("sp-a") == []
    assert store.activity.add_sign_ins([(_sign_in(n), None) for n in (2, 3)]) == ["si-2", "si-3"]
    assert [s.id for s in store.activity.sign_ins_of("sp-a")] == ["si-2", "si-3"]


def test_the_staging_table_is_emptied_after_each_batch(store):
    if store.engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL stages batches (for COPY); SQLite inserts them directly")
    with store.engine.begin() as conn:
        store.activity.add_sign_ins([(_sign_in(n), None) for n in range(3)], conn)
        stages = (
            conn.exec_driver_sql(
                "SELECT relname FROM pg_class WHERE relnamespace = pg_my_temp_schema()"
                " AND relname LIKE 'vigil_stage_sign_ins_%%'"
            )
            .scalars()
            .all()
        )
        assert len(stages) == 1
        assert conn.exec_driver_sql(f"SELECT count(*) FROM {stages[0]}").scalar() == 0
        assert store.activity.add_sign_ins([(_sign_in(n), None) for n in (2, 3)], conn) == ["si-3"]
