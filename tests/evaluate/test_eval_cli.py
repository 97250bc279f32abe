"""`vigil eval --labels FILE` reads the detections from the database."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from evalcases import detections, ground_truth

from vigil.cli.main import cli
from vigil.services.risk import RiskService
from vigil.store import Store


@pytest.fixture
def db(tmp_path, clock):
    url = f"sqlite:///{tmp_path / 'vigil.db'}"
    store = Store.open(url, migrate=True)
    service = RiskService(store, clock)
    for d in detections():
        service.record_detection(d)
    store.close()
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps(ground_truth().to_dict()))
    return url, labels


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_eval_json(db):
    url, labels = db
    result = run("--db", url, "eval", "--labels", str(labels), "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    by_type = {t["riskEventType"]: t for t in doc["types"]}
    assert by_type["suspiciousSignins"]["precision"] == 0.5
    assert by_type["suspiciousSignins"]["recall"] == 0.5
    assert by_type["leakedCredentials"]["medianDelaySeconds"] == 7200.0
    assert doc["benignChangeAlarms"]["count"] == 2
    assert doc["notSimulated"] == {"adminConfirmedServicePrincipalCompromised": 1}


def test_eval_table(db):
    url, labels = db
    result = run("--db", url, "eval", "--labels", str(labels))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("riskEventType")
    assert "overall" in result.stdout


def test_eval_rejects_a_file_that_is_not_labels(db, tmp_path):
    url, _ = db
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 99}')
    result = run("--db", url, "eval", "--labels", str(bad))
    assert result.exit_code == 2
    assert "version" in result.output
