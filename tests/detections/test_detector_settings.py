"""Detector parameters from the settings: ``[detectors.<riskEventType>]`` TOML tables and
``VIGIL_DETECTORS__...`` environment variables reach the detectors, and mistakes are refused with
the detector and parameter named (a typo must not silently keep the default)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vigil.app import build
from vigil.detections.anomalous_service_principal_activity import AnomalousServicePrincipalActivity
from vigil.detections.registry import create_all, detector_params
from vigil.detections.suspicious_api_traffic import SuspiciousAPITraffic
from vigil.detections.suspicious_signins import SuspiciousSignins
from vigil.settings import load_settings

TOML = """
[detectors.suspiciousSignins]
min_days = 14
trusted_users = ["alice@contoso.com"]
weights = { cc = 2.5 }

[detectors.anomalousServicePrincipalActivity]
trusted_actors = ["Secret Rotator"]
"""


def _detector(detectors: list, cls: type) -> object:
    (found,) = [d for d in detectors if isinstance(d, cls)]
    return found


def test_toml_tables_reach_the_detectors_of_the_app(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("VIGIL_DETECTORS__SUSPICIOUSSIGNINS__MIN_DAYS", raising=False)
    config = tmp_path / "vigil.toml"
    config.write_text(TOML)
    settings = load_settings(config, database_url=f"sqlite:///{tmp_path / 'v.db'}")
    app = build(settings)
    try:
        detectors = app.detection.detectors
        signins = _detector(detectors, SuspiciousSignins)
        assert signins.params.min_days == 14.0  # type: ignore[attr-defined]
        assert signins.params.trusted_users == ("alice@contoso.com",)  # type: ignore[attr-defined]
        weights = dict(signins.params.weights)  # type: ignore[attr-defined]
        assert weights["cc"] == 2.5 and weights["ip"] == 0.5  # merged over the defaults
        anomalous = _detector(detectors, AnomalousServicePrincipalActivity)
        assert anomalous.params.trusted_actors == ("Secret Rotator",)  # type: ignore[attr-defined]
        assert _detector(detectors, SuspiciousAPITraffic).params.report_learning is True  # type: ignore[attr-defined]
    finally:
        app.close()


def test_environment_overrides_the_file_whatever_the_case(tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "vigil.toml"
    config.write_text(TOML)
    monkeypatch.setenv("VIGIL_DETECTORS__SUSPICIOUSSIGNINS__MIN_DAYS", "21")
    monkeypatch.setenv("VIGIL_DETECTORS__SUSPICIOUSAPITRAFFIC__REPORT_LEARNING", "false")
    monkeypatch.setenv("VIGIL_DETECTORS__SUSPICIOUSAPITRAFFIC__ENUM_MIN", "6")
    params = detector_params(load_settings(config).detectors)
    signins = params["suspiciousSignins"]
    assert signins.min_days == 21.0  # the environment wins...
    assert signins.trusted_users == ("alice@contoso.com",)  # ...and the file's others stay
    traffic = params["suspiciousAPITraffic"]
    assert (traffic.report_learning, traffic.enum_min) == (False, 6)
    for text in ("cc=2,asn=0.5", '{"cc": 2, "asn": 0.5}', '[["cc", 2], ["asn", 0.5]]'):
        monkeypatch.setenv("VIGIL_DETECTORS__SUSPICIOUSSIGNINS__WEIGHTS", text)
        signins = detector_params(load_settings(config).detectors)["suspiciousSignins"]
        weights = dict(signins.weights)
        assert (weights["cc"], weights["asn"], weights["ip"]) == (2.0, 0.5, 0.5), text


def test_trusted_ids_match_whatever_their_case() -> None:
    """Actor ids are stored lower-case; a GUID pasted upper-case into the settings still names
    the actor (names are kept as given)."""
    rotator = "5B3A9C1E-7D2F-4E8A-9B6C-0A1D2E3F4A5B"
    detectors = create_all(
        {
            "anomalousServicePrincipalActivity": {"trusted_actors": [rotator, "Secret Rotator"]},
            "suspiciousSignins": {"trusted_apps": [rotator]},
        }
    )
    anomalous = _detector(detectors, AnomalousServicePrincipalActivity)
    assert anomalous._skip >= {rotator.lower(), "Secret Rotator"}  # type: ignore[attr-defined]
    signins = _detector(detectors, SuspiciousSignins)
    assert rotator.lower() in signins._trust.apps  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ({"suspicousSignins": {"min_days": 1}}, "detectors.suspicousSignins: no such detector"),
        ({"leakedCredentials": {"x": 1}}, "leakedCredentials: this detector has no parameters"),
        ({"suspiciousSignins": {"min_dayz": 1}}, "unknown Params parameter(s): min_dayz"),
        ({"suspiciousSignins": {"min_signins": "lots"}}, "min_signins: expected a number"),
        ({"suspiciousSignins": {"min_signins": 7.5}}, "min_signins: expected a whole number"),
        ({"suspiciousSignins": {"weights": {"country": 2}}}, "unknown name(s) country"),
        ({"suspiciousSignins": {"report_learning": "maybe"}}, "expected true or false"),
        ({"suspiciousSignins": {"trusted_users": 5}}, "trusted_users: expected a list"),
        ({"suspiciousSignins": {"trusted_users": {"a": 1}}}, "trusted_users: expected a list"),
        ({"suspiciousSignins": 5}, "expected a table of parameters"),
        ({"suspiciousSignins": {"weights": "asn,cc"}}, "weights: expected name=number"),
        ({"suspiciousSignins": {"weights": "asn=x"}}, "weights: expected a number"),
        ({"suspiciousSignins": {"weights": ["asn"]}}, "expected a table of name = number"),
        ({"suspiciousSignins": {"medium": "nan"}}, "medium: expected a finite number"),
        ({"suspiciousSignins": {"min_signins": -1}}, "expected a finite number of at least 0"),
        ({"suspiciousSignins": {"sparse_departure": ["asnn"]}}, "unknown feature(s) asnn"),
        ({"anomalousServicePrincipalActivity": {"trusted_actors": [1, 2]}}, "list of text"),
        ({"anomalousServicePrincipalActivity": {"max_done": 0}}, "max_done: at least 1"),
        ({"suspiciousSignins": {"trusted_apps": '{"a": 1}'}}, "trusted_apps: expected a list"),
    ],
)
def test_mistakes_are_refused_naming_what(tables: dict, message: str) -> None:
    with pytest.raises(ValueError) as info:
        create_all(tables)
    assert message in str(info.value)
    with pytest.raises(ValueError) as info:
        load_settings(detectors=tables)  # when the settings are read, before any command runs
    assert f"detectors.{next(iter(tables))}".lower() in str(info.value).lower()


def test_vigil_detect_params_prints_what_is_in_force(tmp_path: Path) -> None:
    config = tmp_path / "vigil.toml"
    config.write_text(TOML)
    cmd = [sys.executable, "-m", "vigil.cli.main", "--config", str(config), "detect", "--params"]
    env = {"PATH": "/usr/bin:/bin", "VIGIL_DETECTORS__SUSPICIOUSAPITRAFFIC__MAX_IDS": "5"}
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout
    doc = json.loads(out)
    assert set(doc) == {
        "suspiciousSignins",
        "anomalousServicePrincipalActivity",
        "suspiciousAPITraffic",
    }
    assert doc["suspiciousSignins"]["min_days"] == 14.0
    assert doc["suspiciousSignins"]["weights"]["cc"] == 2.5
    assert doc["suspiciousAPITraffic"]["max_ids"] == 5
    bad = subprocess.run(
        cmd, capture_output=True, text=True, env={**env, "VIGIL_DETECTORS__NOPE__X": "1"}
    )
    assert bad.returncode == 2 and "detectors.nope: no such detector" in bad.stderr


def test_a_settings_file_names_only_settings(tmp_path: Path) -> None:
    """The environment may hold other VIGIL_ variables, but a file's keys are all settings: a
    misspelt one is refused (exit 2, naming it), not ignored with its default kept."""
    config = tmp_path / "vigil.toml"
    config.write_text(
        'databse_url = "sqlite:///x.db"\n[api]\nprot = 8080\n[auth]\nroles_claim = "r"\n'
    )
    cmd = [sys.executable, "-m", "vigil.cli.main", "--config", str(config), "stats"]
    bad = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 2
    assert "unknown setting(s): databse_url, api.prot" in bad.stderr
    config.write_text('log_level = "loud"\n')
    bad = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 2 and "log_level 'LOUD' is none of" in bad.stderr


def test_log_level_applies_without_v_or_q(tmp_path: Path) -> None:
    config = tmp_path / "vigil.toml"
    config.write_text(f'log_level = "info"\ndatabase_url = "sqlite:///{tmp_path / "v.db"}"\n')
    base = [sys.executable, "-m", "vigil.cli.main", "--config", str(config)]
    out = subprocess.run([*base, "migrate"], capture_output=True, text=True, check=True)
    assert " INFO " in out.stderr  # alembic's INFO lines: shown at log_level INFO
    quiet = subprocess.run([*base, "-q", "migrate"], capture_output=True, text=True, check=True)
    assert " INFO " not in quiet.stderr  # -q wins
    config.write_text(f'database_url = "sqlite:///{tmp_path / "w.db"}"\n')
    default = subprocess.run([*base, "migrate"], capture_output=True, text=True, check=True)
    assert " INFO " not in default.stderr  # WARNING by default, as before
