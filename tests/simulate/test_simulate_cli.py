"""`vigil simulate`: options, summary, refusal to overwrite, and the default size."""

from __future__ import annotations

import json
import os
import time

import pytest
from click.testing import CliRunner

from vigil.cli.main import cli
from vigil.simulate import SimConfig, simulate


def run(*args: str):
    return CliRunner().invoke(cli, ["simulate", *args], catch_exceptions=False)


def test_json_summary_and_stderr_table(tmp_path):
    out = tmp_path / "t"
    result = run("--out", str(out), "--seed", "2", "--days", "8", "--sps", "40", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["seed"] == 2
    assert doc["files"]["labels.json"] > 0
    assert doc["files"]["signins/ServicePrincipalSignIns.jsonl"] > 1000
    assert "signins/ServicePrincipalSignIns.jsonl" in result.stderr
    assert (out / "README.md").read_text().startswith("# Simulated Entra tenant")


def test_refuses_a_non_empty_folder_unless_forced(tmp_path):
    out = tmp_path / "t"
    args = ("--out", str(out), "--days", "7", "--sps", "20", "--scenario", "none")
    assert run(*args).exit_code == 0
    again = run(*args)
    assert again.exit_code == 2 and "--force" in again.output
    (out / "keep.txt").write_text("mine")
    forced = run(*args, "--shape", "loganalytics", "--force")
    assert forced.exit_code == 0
    assert (out / "keep.txt").read_text() == "mine"
    assert not (out / "signins/ServicePrincipalSignIns.jsonl").exists()  # replaced, not mixed
    assert (out / "signins/AADServicePrincipalSignInLogs.jsonl").exists()


def test_scenario_option(tmp_path):
    out = tmp_path / "t"
    result = run("--out", str(out), "--days", "8", "--sps", "30", "--scenario",
                 "stolen-secret/vps-abroad", "--scenario", "graph-recon")
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "labels.json").read_text())
    assert {(lb["scenario"], lb["variant"]) for lb in doc["labels"] if lb["required"]} == {
        ("stolen-secret", "vps-abroad"), ("graph-recon", "enumeration-403-burst"),
        ("graph-recon", "exfil-spike"), ("graph-recon", "new-app-enumeration"),
        ("graph-recon", "slow-recon")}
    bad = run("--out", str(tmp_path / "u"), "--scenario", "nope")
    assert bad.exit_code == 2 and "unknown scenario" in bad.output


@pytest.mark.slow
def test_default_size_is_fast_and_realistic(tmp_path):
    started = time.perf_counter()
    counts = simulate(SimConfig(seed=1), tmp_path / "d")
    elapsed = time.perf_counter() - started
    assert elapsed < 60
    signins = (counts["signins/ServicePrincipalSignIns.jsonl"]
               + counts["signins/ManagedIdentitySignIns.jsonl"])
    assert 50_000 <= signins <= 300_000
    assert counts["inventory/servicePrincipals.json"] >= 200


def test_an_output_folder_whose_name_is_not_utf8_is_named_in_valid_json(tmp_path):
    """``sim\\xe9`` (a Latin-1 name): the JSON summary carried the name's lone surrogate, which
    failed to encode; it names the folder ``sim\\xe9`` now."""
    out = tmp_path / os.fsdecode(b"sim\xe9")
    result = run("--out", str(out), "--days", "7", "--sps", "10", "--scenario", "none",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    result.stdout_bytes.decode("utf-8")  # valid UTF-8 throughout
    assert json.loads(result.stdout)["out"] == f"{tmp_path}/sim\\xe9"
    assert (out / "labels.json").exists()
