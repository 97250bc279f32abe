"""Detector state is held for a transaction and written just before it commits, or forgotten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, func, select

from vigil.app import App, build
from vigil.ingest.pipeline import NewRecords
from vigil.model import SignIn, SignInKind
from vigil.settings import load_settings
from vigil.store.tables import detector_state

NOW = datetime(2026, 11, 2, tzinfo=UTC)


def _sign_ins(first: int, count: int, sp: str = "0") -> list[SignIn]:
    return [
        SignIn(
            id=f"si-{n}",
            created_date_time=NOW - timedelta(hours=200 - n),
            kind=SignInKind.servicePrincipal,
            service_principal_id=f"44444444-0000-0000-0000-00000000000{sp}",
            app_id=f"app-{sp}",
            ip_address=f"20.50.1.{n % 7}",
            error_code=0,
        )
        for n in range(first, first + count)
    ]


@pytest.fixture
def app(db_url) -> App:
    a = build(load_settings(database_url=db_url), clock=lambda: NOW, check_schema=False)
    from vigil.store.schema import upgrade

    upgrade(a.store.engine)
    return a


def _states(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(detector_state)).scalar_one()


def test_state_is_written_once_before_the_commit(app: App) -> None:
    with app.store.engine.connect() as conn, conn.begin():
        app.detection.observe(conn, NewRecords(sign_ins=_sign_ins(0, 20)))
        app.detection.observe(conn, NewRecords(sign_ins=_sign_ins(20, 20)))
        assert _states(conn) == 0  # held in memory across the transaction's batches
        app.detection.commit(conn)
        written = _states(conn)
    assert written > 0
    with app.store.engine.connect() as conn:
        assert _states(conn) == written


def test_a_rolled_back_transaction_leaves_no_state_behind(app: App) -> None:
    with app.store.engine.connect() as conn:
        trans = conn.begin()
        app.detection.observe(conn, NewRecords(sign_ins=_sign_ins(0, 20, sp="1")))
        trans.rollback()
        app.detection.rollback()
        with conn.begin():  # the next transaction starts from the store, not from memory
            app.detection.observe(conn, NewRecords(sign_ins=_sign_ins(20, 5, sp="2")))
            app.detection.commit(conn)
        rows = conn.execute(select(detector_state.c.key, detector_state.c.state)).all()
    text = repr(rows)
    assert "00000000002" in text and "00000000001" not in text


def test_a_transaction_left_open_is_refused(app: App) -> None:
    with app.store.engine.connect() as first, first.begin():
        app.detection.observe(first, NewRecords(sign_ins=_sign_ins(0, 3)))
    with (
        app.store.engine.connect() as second,
        second.begin(),
        pytest.raises(RuntimeError, match="before commit"),
    ):
        app.detection.observe(second, NewRecords(sign_ins=_sign_ins(3, 3)))


def test_one_key_loads_as_the_batch_load_does(app: App) -> None:
    states = {
        ("suspiciousSignins", "sp-1"): {"v": 1, "ips": {"20.1.2.3": 4}},
        ("suspiciousSignins", "sp-2"): {"v": 1, "ips": {}},
        ("suspiciousAPITraffic", "sp-1"): {"v": 2, "list": [1, 2.5, None, "é"]},
    }
    repo = app.store.detector_state
    repo.save(states, NOW)
    for (detector, key), state in states.items():
        assert (
            repo.load_one(detector, key) == state == repo.load([(detector, key)])[(detector, key)]
        )
    assert repo.load_one("suspiciousSignins", "sp-3") is None
    assert repo.load_one("anomalousServicePrincipalActivity", "sp-1") is None
    with app.store.engine.connect() as conn:  # on a caller's connection too
        assert repo.load_one("suspiciousSignins", "sp-2", conn) == {"v": 1, "ips": {}}
