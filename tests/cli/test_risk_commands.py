"""`vigil confirm` / `dismiss` / `risky` / `history` / `detections` print Graph-shaped JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from vigil.cli.main import cli
from vigil.model import ServicePrincipal, ServicePrincipalType
from vigil.store import Store

SP = "5a3e1a0c-9d5b-4f3e-a7a4-0d9a6a1c2b10"


@pytest.fixture
def db(db_url):
    s = Store.open(db_url, migrate=True)
    s.inventory.upsert_service_principals(
        [
            (
                ServicePrincipal(
                    id=SP,
                    app_id="a1b2",
                    display_name="Contoso Payroll",
                    service_principal_type=ServicePrincipalType.Application,
                ),
                None,
            )
        ],
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    s.close()
    return db_url


def run(db: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_confirm_then_risky_and_history_json(db):
    run(db, "confirm", SP, "--actor", "alice@contoso.com")
    risky = json.loads(run(db, "risky", "--format", "json"))
    assert len(risky["value"]) == 1
    item = risky["value"][0]
    assert item["@odata.type"] == "#microsoft.graph.riskyServicePrincipal"
    assert {
        k: item[k]
        for k in (
            "id",
            "displayName",
            "appId",
            "riskLevel",
            "riskState",
            "riskDetail",
            "isEnabled",
            "servicePrincipalType",
        )
    } == {
        "id": SP,
        "displayName": "Contoso Payroll",
        "appId": "a1b2",
        "riskLevel": "high",
        "riskState": "confirmedCompromised",
        "riskDetail": "adminConfirmedServicePrincipalCompromised",
        "isEnabled": True,
        "servicePrincipalType": "Application",
    }
    assert item["riskLastUpdatedDateTime"].endswith("Z")
    history = json.loads(run(db, "history", SP, "--format", "json"))["value"]
    assert [(h["riskState"], h["initiatedBy"], h["activity"]) for h in history] == [
        (
            "confirmedCompromised",
            "alice@contoso.com",
            {
                "detail": "adminConfirmedServicePrincipalCompromised",
                "riskEventTypes": ["adminConfirmedServicePrincipalCompromised"],
            },
        ),
    ]
    assert history[0]["servicePrincipalId"] == SP
    detections = json.loads(run(db, "detections", "--format", "json"))["value"]
    assert [(d["riskEventType"], d["riskLevel"], d["activity"]) for d in detections] == [
        ("adminConfirmedServicePrincipalCompromised", "high", "servicePrincipal")
    ]
    assert json.loads(detections[0]["additionalInfo"]) == []


def test_dismiss_and_filters(db):
    run(db, "confirm", SP)
    run(db, "dismiss", SP)
    assert json.loads(run(db, "risky", "--filter", "riskLevel eq 'high'", "--format", "json")) == {
        "value": []
    }
    none = json.loads(run(db, "risky", "--filter", "riskState eq 'dismissed'", "--format", "json"))[
        "value"
    ]
    assert [(p["id"], p["riskLevel"]) for p in none] == [(SP, "none")]
    assert len(json.loads(run(db, "history", SP, "--format", "json"))["value"]) == 2
    csv_out = run(db, "risky", "--format", "csv").splitlines()
    assert csv_out[0].startswith("id,appId,displayName")
    assert csv_out[1].startswith(f"{SP},a1b2,Contoso Payroll")


def test_unknown_id_and_bad_filter_exit_codes(db):
    runner = CliRunner()
    unknown = runner.invoke(cli, ["--db", db, "confirm", "nope"])
    assert unknown.exit_code == 1
    assert "unknown service principal id(s): nope; nothing was changed" in unknown.output
    bad = runner.invoke(cli, ["--db", db, "risky", "--filter", "riskLevel eq 'extreme'"])
    assert bad.exit_code == 2
    assert "riskLevel" in bad.output


def test_console_script_help_for_every_command(tmp_path):
    exe = [sys.executable, "-m", "vigil.cli.main"]
    top = subprocess.run([*exe, "--help"], capture_output=True, text=True, check=True).stdout
    from vigil.cli.main import COMMANDS, load_command

    for name in COMMANDS:
        assert load_command(name).name == name
        assert f"  {name} " in top
        out = subprocess.run([*exe, name, "--help"], capture_output=True, text=True, check=True)
        assert "Usage: " in out.stdout and name in out.stdout


def test_stats_json_on_empty_sqlite(tmp_path):
    out = run(f"sqlite:///{tmp_path / 'new.db'}", "stats", "--format", "json")
    assert json.loads(out) == {
        "signIns": 0,
        "managedIdentitySignIns": 0,
        "directoryAudits": 0,
        "graphActivities": 0,
        "servicePrincipals": 0,
        "applications": 0,
        "detections": 0,
        "riskyServicePrincipals": 0,
        "rejected": 0,
    }
