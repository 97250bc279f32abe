"""adminConfirmedServicePrincipalCompromised: the confirm action yields a detection, with the
actor in the risk history, in the store, the CLI and the Graph API."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from vigil.api.server import create_api
from vigil.app import App, build
from vigil.auth import ApiToken, Role, new_token, token_hash, token_hint
from vigil.cli.main import cli
from vigil.model import RiskDetail, RiskLevel, RiskState, ServicePrincipal
from vigil.settings import load_settings
from vigil.store import Store

SP = "55555555-0000-0000-0000-000000000001"
NOW = datetime(2026, 2, 1, tzinfo=UTC)


def _inventory(store: Store, sp_id: str = SP, **fields: object) -> None:
    """The principal ``sp_id`` ("Payroll", app-1) in the inventory."""
    principal = ServicePrincipal(id=sp_id, app_id="app-1", display_name="Payroll", **fields)
    store.inventory.upsert_service_principals([(principal, None)], NOW)


def _app(tmp_path: Path, name: str, sp_id: str = SP) -> App:
    """An app on a new SQLite store at ``NOW``, ``sp_id`` in its inventory."""
    app = build(load_settings(database_url=f"sqlite:///{tmp_path / name}"), clock=lambda: NOW)
    _inventory(app.store, sp_id)
    return app


def _db(tmp_path: Path, name: str, sp_id: str = SP) -> str:
    """The URL of a new SQLite store with ``sp_id`` in its inventory (for the CLI)."""
    db = f"sqlite:///{tmp_path / name}"
    store = Store.open(db, migrate=True)
    _inventory(store, sp_id)
    store.close()
    return db


def _client(app: App, role: Role, name: str) -> tuple[TestClient, str]:
    """An API client for ``app`` and a bearer token of ``role`` in the name ``name``."""
    token = new_token()
    app.store.tokens.add(
        ApiToken(str(uuid.uuid4()), name, role, token_hint(token), NOW), token_hash(token)
    )
    return TestClient(create_api(app)), token


def test_confirm_compromised_is_a_detection_with_the_actor(tmp_path, monkeypatch):
    db = _db(tmp_path, "vigil.db")
    monkeypatch.setenv("VIGIL_DATABASE_URL", db)
    monkeypatch.setenv("USER", "alice.admin")
    runner = CliRunner()
    assert runner.invoke(cli, ["confirm", SP], catch_exceptions=False).exit_code == 0

    store = Store.open(db)
    (d,) = store.risk.list_detections()
    assert (d.risk_event_type, d.risk_level, d.risk_state, d.risk_detail) == (
        "adminConfirmedServicePrincipalCompromised", RiskLevel.high,
        RiskState.confirmedCompromised, RiskDetail.adminConfirmedServicePrincipalCompromised)
    (item,) = store.risk.history(SP)
    assert item.initiated_by and "alice.admin" in item.initiated_by
    assert item.activity_risk_event_types == ("adminConfirmedServicePrincipalCompromised",)
    store.close()

    listed = json.loads(runner.invoke(cli, ["detections", "--format", "json"]).stdout)["value"]
    assert [x["riskEventType"] for x in listed] == ["adminConfirmedServicePrincipalCompromised"]
    history = json.loads(runner.invoke(cli, ["history", SP, "--format", "json"]).stdout)["value"]
    assert "alice.admin" in history[-1]["initiatedBy"]


def test_confirm_through_the_api_shows_in_detections_and_history(tmp_path):
    app = _app(tmp_path, "api.db")
    client, token = _client(app, Role.security_operator, "bob.secops")
    headers = {"Authorization": f"Bearer {token}", "Prefer": "include-unknown-enum-members"}
    base = "/v1.0/identityProtection"
    r = client.post(f"{base}/riskyServicePrincipals/confirmCompromised", headers=headers,
                    json={"servicePrincipalIds": [SP]})
    assert r.status_code == 204
    dets = client.get(f"{base}/servicePrincipalRiskDetections", headers=headers).json()["value"]
    assert [(d["riskEventType"], d["riskLevel"], d["riskDetail"]) for d in dets] == [
        ("adminConfirmedServicePrincipalCompromised", "high",
         "adminConfirmedServicePrincipalCompromised")]
    (item,) = client.get(f"{base}/riskyServicePrincipals/{SP}/history",
                         headers=headers).json()["value"]
    assert "bob.secops" in item["initiatedBy"]
    assert item["activity"]["riskEventTypes"] == ["adminConfirmedServicePrincipalCompromised"]
    app.close()


def test_a_repeated_confirm_or_dismiss_changes_nothing(tmp_path):
    """A retried request or a second click: no second admin-confirmed detection, no history
    item; with new evidence since, confirming again applies to it."""
    from vigil.model import RiskDetection, detection_id

    app = _app(tmp_path, "r.db")
    assert len(app.risk.confirm_compromised([SP], "alice")) == 1
    assert app.risk.confirm_compromised([SP, SP], "bob") == []
    assert len(app.store.risk.list_detections()) == 1
    assert len(app.store.risk.history(SP)) == 1

    app.risk.record_detection(RiskDetection(
        id=detection_id("suspiciousSignins", SP, "1"), service_principal_id=SP,
        risk_event_type="suspiciousSignins", risk_level=RiskLevel.medium,
        risk_state=RiskState.atRisk, activity_date_time=NOW, detected_date_time=NOW,
        last_updated_date_time=NOW))
    assert len(app.risk.confirm_compromised([SP], "bob")) == 1
    assert {d.risk_state for d in app.store.risk.list_detections()} == {
        RiskState.confirmedCompromised}
    assert len(app.store.risk.history(SP)) == 3

    assert len(app.risk.dismiss([SP], "carol")) == 1
    assert app.risk.dismiss([SP], "carol") == []
    assert len(app.store.risk.history(SP)) == 4
    app.close()


def test_cli_says_how_many_were_already_confirmed(tmp_path, monkeypatch):
    db = _db(tmp_path, "c.db")
    monkeypatch.setenv("VIGIL_DATABASE_URL", db)
    runner = CliRunner()
    first = runner.invoke(cli, ["confirm", SP], catch_exceptions=False)
    assert first.stderr.strip() == "confirmed compromised: 1"
    again = runner.invoke(cli, ["confirm", SP], catch_exceptions=False)
    assert again.exit_code == 0
    assert again.stderr.strip() == "confirmed compromised: 0; 1 already was, left unchanged"


def test_actions_take_a_guid_in_any_case(tmp_path, monkeypatch):
    """GUIDs are stored lower-case and match whatever their case, as Graph's keys do: an id
    pasted upper-case acts on the stored principal instead of failing or making another."""
    sp = "5b3a9c1e-7d2f-4e8a-9b6c-0a1d2e3f4a5b"
    db = _db(tmp_path, "g.db", sp)
    monkeypatch.setenv("VIGIL_DATABASE_URL", db)
    runner = CliRunner()
    done = runner.invoke(cli, ["confirm", sp.upper(), sp], catch_exceptions=False)
    assert done.stderr.strip() == "confirmed compromised: 1"
    history = runner.invoke(cli, ["history", sp.upper(), "--format", "json"])
    assert history.exit_code == 0 and len(json.loads(history.stdout)["value"]) == 1
    store = Store.open(db)
    assert [p.id for p in store.risk.list_risky()] == [sp]
    store.close()

    app = build(load_settings(database_url=db), clock=lambda: NOW)
    client, token = _client(app, Role.security_administrator, "bob")
    headers = {"Authorization": f"Bearer {token}"}
    r = client.post("/v1.0/identityProtection/riskyServicePrincipals/dismiss", headers=headers,
                    json={"servicePrincipalIds": [sp.upper()]})
    assert r.status_code == 204
    assert app.store.risk.risky(sp).risk_state == RiskState.dismissed  # type: ignore[union-attr]
    r = client.patch(f"/v1.0/servicePrincipals/{sp.upper()}", headers=headers,
                     json={"accountEnabled": False})
    assert r.status_code == 204
    assert app.store.risk.risky(sp).is_enabled is False  # type: ignore[union-attr]
    assert app.store.inventory.service_principal(sp).account_enabled is False  # type: ignore[union-attr]
    assert [p.id for p in app.store.risk.list_risky()] == [sp]
    app.close()


def test_disable_changes_risk_history_and_inventory_together(tmp_path, monkeypatch):
    """One transaction: when the inventory's accountEnabled cannot be written, the history item
    is not kept either (a crash between them left the two disagreeing)."""
    app = _app(tmp_path, "d.db")

    def broken(*_: object, **__: object) -> bool:
        raise RuntimeError("disk gone")

    with monkeypatch.context() as m:
        m.setattr(app.store.inventory, "set_account_enabled", broken)
        with pytest.raises(RuntimeError, match="disk gone"):
            app.risk.set_enabled([SP], False, "alice")
    assert app.store.risk.history(SP) == []
    assert app.store.inventory.service_principal(SP).account_enabled is not False  # type: ignore[union-attr]

    assert len(app.risk.set_enabled([SP], False, "alice")) == 1
    assert app.store.risk.risky(SP).is_enabled is False  # type: ignore[union-attr]
    assert app.store.inventory.service_principal(SP).account_enabled is False  # type: ignore[union-attr]
    app.close()


def test_a_principal_stored_upper_case_before_is_found_by_any_spelling(tmp_path):
    """Stored before GUIDs were lower-cased at ingest: the lower-case id (what new records and
    users now give) still reaches it, through the actions and the API's key."""
    old = "5B3A9C1E-7D2F-4E8A-9B6C-0A1D2E3F4A5B"
    app = _app(tmp_path, "o.db", old)
    assert len(app.risk.confirm_compromised([old.lower()], "alice")) == 1
    assert [p.id for p in app.store.risk.list_risky()] == [old]
    client, token = _client(app, Role.security_reader, "bob")
    headers = {"Authorization": f"Bearer {token}"}
    base = "/v1.0/identityProtection/riskyServicePrincipals"
    for spelling in (old, old.lower()):
        assert client.get(f"{base}/{spelling}", headers=headers).json()["id"] == old
        history = client.get(f"{base}/{spelling}/history", headers=headers).json()["value"]
        assert len(history) == 1
    assert client.get(f"{base}/{old.lower()[:-1]}0", headers=headers).status_code == 404
    app.close()


def test_an_old_risk_record_wins_over_a_later_lower_case_snapshot(tmp_path):
    """A risk record stored upper-case by an older version, then a snapshot that adds the same
    principal lower-case: every spelling reaches the risk record, where its state lives."""
    old = "5B3A9C1E-7D2F-4E8A-9B6C-0A1D2E3F4A5B"
    app = _app(tmp_path, "w.db", old)
    app.risk.confirm_compromised([old], "alice")
    _inventory(app.store, old.lower())
    for spelling in (old, old.lower()):
        assert app.risk.stored_id(spelling) == old
    assert len(app.risk.dismiss([old.lower()], "bob")) == 1
    assert [(p.id, p.risk_state) for p in app.store.risk.list_risky()] == [
        (old, RiskState.dismissed)]
    app.close()


def test_enabling_again_after_a_snapshot_said_disabled_is_recorded(tmp_path):
    """The risk record's isEnabled is set when it is made; a later snapshot may say disabled.
    Enabling then changes the inventory, so it is recorded (not skipped as already done)."""
    app = _app(tmp_path, "e.db")
    app.risk.confirm_compromised([SP], "alice")
    _inventory(app.store, SP, account_enabled=False)
    assert len(app.risk.set_enabled([SP], True, "bob")) == 1
    assert app.store.risk.history(SP)[-1].initiated_by == "bob"
    assert app.store.inventory.service_principal(SP).account_enabled is True  # type: ignore[union-attr]
    assert app.risk.set_enabled([SP], True, "bob") == []  # now both say enabled
    app.close()
