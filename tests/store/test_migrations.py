"""The Alembic migrations and the table definitions must describe the same schema."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from vigil.model import ClientCredentialType, Location, SignIn, SignInKind
from vigil.store import Store, rawcodec
from vigil.store.checkpoints import Checkpoint, CheckpointRepository
from vigil.store.database import connect
from vigil.store.schema import alembic_config, current_revision, head_revision, upgrade
from vigil.store.tables import metadata
from vigil.store.types import to_micros


def test_migrations_match_tables(db_url):
    s = Store.open(db_url, migrate=True)
    try:
        with s.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
        assert current_revision(s.engine) == head_revision(s.engine)
        upgrade(s.engine)  # running again is a no-op
        assert current_revision(s.engine) == head_revision(s.engine)
    finally:
        s.close()


def test_sign_ins_stored_before_0006_read_the_same_after_upgrading(db_url):
    """Rows from 0005 (whole model in ``data``, raw compressed per record) survive 0006."""
    when = datetime(2025, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)
    old = SignIn(
        id="old-1", created_date_time=when, kind=SignInKind.servicePrincipal,
        service_principal_id="sp-old", app_id="app-old", service_principal_name="legacy",
        tenant_id="t-1", ip_address="20.1.2.3",
        location=Location("Dublin", "Leinster", "IE", 53.3, -6.2, None), asn=8075,
        asn_org="MICROSOFT-CORP", is_hosting=True, resource_id="res",
        client_credential_type=ClientCredentialType.certificate, credential_key_id="k-1",
        credential_thumbprint="ABC", error_code=7000215, failure_reason="bad secret",
        user_agent="curl/8", correlation_id="c-1", unique_token_identifier="u-1",
    )  # fmt: skip
    engine = connect(db_url)
    upgrade(engine, "0005")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO sign_ins (id, kind, service_principal_id, created_at, app_id, "
                "ip_address, country, asn, is_hosting, resource_id, client_credential_type, "
                "credential_key_id, error_code, user_agent, correlation_id, data, raw) VALUES "
                "(:id, :kind, :sp, :at, :app, :ip, 'IE', 8075, true, 'res', 'certificate', "
                "'k-1', 7000215, 'curl/8', 'c-1', :data, :raw)"
            ),
            {
                "id": old.id, "kind": "servicePrincipal", "sp": old.service_principal_id,
                "at": to_micros(when), "app": old.app_id, "ip": old.ip_address,
                "data": msgspec.json.encode(old).decode(),
                "raw": rawcodec.compress(b'{"id": "old-1"}'),
            },
        )  # fmt: skip
    engine.dispose()
    s = Store.open(db_url, migrate=True)
    try:
        assert current_revision(s.engine) == head_revision(s.engine)
        assert s.activity.sign_ins_of("sp-old") == [old]
        assert list(s.activity.iter_sign_ins()) == [old]
        assert s.activity.raw_record("signins", "old-1") == b'{"id": "old-1"}'
        # and a re-ingest of the same sign-in adds nothing
        assert s.activity.add_sign_ins([(old, None)]) == []
    finally:
        s.close()


def test_checkpoints_written_before_0007_stay_readable(db_url):
    """0007 adds file identity, format and tail: older rows read as unknown identity, tail 0."""
    engine = connect(db_url)
    upgrade(engine, "0006")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                'INSERT INTO ingest_checkpoints (path, "offset", line, size, mtime_ns, updated_at) '
                "VALUES ('/logs/a.jsonl', 120, 2, 120, 5, :at)"
            ),
            {"at": to_micros(datetime(2026, 1, 1, tzinfo=UTC))},
        )
    engine.dispose()
    s = Store.open(db_url, migrate=True)
    try:
        cp = CheckpointRepository(s.engine).get("/logs/a.jsonl")
        assert cp == Checkpoint("/logs/a.jsonl", 120, 2, 120, 5, tail=0, format=None, identity=None)
    finally:
        s.close()


def test_indicators_stored_before_0008_stay_and_are_kept_per_feed_after(db_url):
    """0008 adds source to the key of intel_indicators: older rows are kept as they were."""
    from vigil.intel.indicator import Indicator, IndicatorKind
    from vigil.store.intel import IndicatorRepository

    engine = connect(db_url)
    upgrade(engine, "0007")
    at = to_micros(datetime(2026, 1, 1, tzinfo=UTC))
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO intel_indicators (id, kind, value, source, revoked, labels, added_at,"
                " updated_at) VALUES ('indicator--a', 'ip', '192.0.2.1/32', 'vendor', false,"
                " '[\"malicious-activity\"]', :at, :at)"
            ),
            {"at": at},
        )
    engine.dispose()
    s = Store.open(db_url, migrate=True)
    try:
        repo = IndicatorRepository(s.engine)
        repo.upsert([Indicator("indicator--a", IndicatorKind.ip, "192.0.2.1/32", "isac")],
                    datetime(2026, 2, 1, tzinfo=UTC))
        assert {(i.source, i.id, i.value, i.labels) for i in repo.all()} == {
            ("vendor", "indicator--a", "192.0.2.1/32", ("malicious-activity",)),
            ("isac", "indicator--a", "192.0.2.1/32", ())}
    finally:
        s.close()


def test_0010_keeps_every_row_and_makes_the_id_unique_by_an_index(db_url):
    """0010 turns the UNIQUE (id) constraint of sign_ins and graph_activities into a named unique
    index: rows and their pks stay, a stored id is still refused, a secondary index a dead
    deferred load left missing stays missing (the next ingest builds it); and back."""
    engine = connect(db_url)
    upgrade(engine, "0009")
    at = to_micros(datetime(2026, 1, 1, tzinfo=UTC))
    with engine.begin() as conn:
        for n in (3, 7):
            conn.execute(
                sa.text(
                    "INSERT INTO sign_ins (pk, id, kind, service_principal_id, created_at,"
                    " error_code, data) VALUES (:pk, :id, 'servicePrincipal', 'sp', :at, 0, '[1]')"
                ),
                {"pk": n, "id": f"s-{n}", "at": at},
            )
        conn.execute(
            sa.text(
                "INSERT INTO graph_activities (id, time, request_method, request_uri,"
                " response_status_code, data) VALUES ('g-1', :at, 'GET', '/users', 200, '{}')"
            ),
            {"at": at},
        )
        conn.execute(sa.text("DROP INDEX ix_sign_ins_ip"))

    def state() -> tuple[object, ...]:
        with engine.connect() as conn:
            signins = conn.execute(sa.text("SELECT pk, id FROM sign_ins ORDER BY pk")).all()
            graph = conn.execute(sa.text("SELECT id FROM graph_activities")).all()
        indexes = {ix["name"] for ix in sa.inspect(engine).get_indexes("sign_ins")}
        return signins, graph, indexes

    def refused(table: str, columns: str, values: str) -> bool:
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({values})"),
                             {"at": at})
        except sa.exc.IntegrityError:
            return True
        return False

    duplicate_sign_in = ("sign_ins", "id, kind, service_principal_id, created_at, error_code, data",
                         "'s-3', 'servicePrincipal', 'sp', :at, 0, '[1]'")
    duplicate_graph = ("graph_activities",
                       "id, time, request_method, request_uri, response_status_code, data",
                       "'g-1', :at, 'GET', '/x', 200, '{}'")
    upgrade(engine, "0010")
    signins, graph, indexes = state()
    assert signins == [(3, "s-3"), (7, "s-7")] and graph == [("g-1",)]
    assert "uq_sign_ins_id" in indexes and "ix_sign_ins_ip" not in indexes
    assert "ix_sign_ins_sp_time" in indexes
    assert refused(*duplicate_sign_in) and refused(*duplicate_graph)
    downgrade(engine, "0009")
    signins, graph, indexes = state()
    assert signins == [(3, "s-3"), (7, "s-7")] and graph == [("g-1",)]
    assert "uq_sign_ins_id" not in indexes
    assert refused(*duplicate_sign_in) and refused(*duplicate_graph)
    engine.dispose()


def downgrade(engine: sa.Engine, revision: str) -> None:
    cfg = alembic_config(engine)
    with engine.connect() as conn, conn.begin():
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_vigil_migrate_says_what_it_upgrades_before_it_starts(tmp_path):
    """A revision may rewrite large tables (0010 rebuilds two on SQLite): migrate says what it is
    doing first, not only once it is done."""
    from click.testing import CliRunner

    from vigil.cli.main import cli

    url = f"sqlite:///{tmp_path / 'v.db'}"
    engine = connect(url)
    upgrade(engine, "0009")
    engine.dispose()
    result = CliRunner().invoke(cli, ["--db", url, "migrate"])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    head = head_revision(connect(url))
    assert lines[:2] == [f"{url}: upgrading the schema from 0009 to {head}...",
                         f"{url}: schema upgraded from 0009 to {head}"]
    again = CliRunner().invoke(cli, ["--db", url, "migrate"])
    assert again.stderr.splitlines() == [f"{url}: schema already at revision {head}"]


@pytest.mark.postgres
def test_0011_lets_postgresql_page_by_code_point_through_the_indexes(pg_url):
    """Lists page by ``(id COLLATE "C")`` on PostgreSQL (vigil.store.bytewise); with the columns
    in the database's own collation no index served that order, and each page of the risky
    principals sorted the whole table. After 0011 the primary key serves it (no Sort), and a
    downgrade gives the columns their default collation back."""
    s = Store.open(pg_url, migrate=True)
    plan_query = (
        'EXPLAIN SELECT id FROM risky_service_principals WHERE (id COLLATE "C") > \'abc\' '
        'ORDER BY (id COLLATE "C") LIMIT 101'
    )
    collation = (
        "SELECT collation_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = 'risky_service_principals' AND column_name = 'id'"
    )
    try:
        with s.engine.connect() as conn:
            for plan_kind in ("seqscan", "bitmapscan", "sort"):  # the index scan, if it can
                conn.execute(sa.text(f"SET enable_{plan_kind} = off"))
            plan = "\n".join(r[0] for r in conn.execute(sa.text(plan_query)))
            assert conn.execute(sa.text(collation)).scalar_one() == "C"
        assert "risky_service_principals_pkey" in plan and "Sort" not in plan, plan
        downgrade(s.engine, "0010")
        with s.engine.connect() as conn:
            assert conn.execute(sa.text(collation)).scalar_one() != "C"
            for plan_kind in ("seqscan", "bitmapscan", "sort"):  # the index scan, if it can
                conn.execute(sa.text(f"SET enable_{plan_kind} = off"))
            plan = "\n".join(r[0] for r in conn.execute(sa.text(plan_query)))
        assert "Sort" in plan, plan  # what 0011 mends
    finally:
        s.close()
