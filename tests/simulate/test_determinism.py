"""The same configuration gives byte-identical output; another seed gives other output."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from simfiles import labels, write


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.mark.parametrize("shape", ["graph", "loganalytics", "loganalytics-csv"])
def test_same_seed_same_bytes(tmp_path, shape):
    a = snapshot(write(tmp_path, "a", shape=shape))
    b = snapshot(write(tmp_path, "b", shape=shape))
    assert a.keys() == b.keys()
    differing = [name for name in a if a[name] != b[name]]
    assert differing == []
    assert len(a) > 20  # signins, audit, graph, inventory, intel, repos (+ git objects), ...


def test_leak_file_times_are_fixed(tmp_path):
    out_a, out_b = write(tmp_path, "a"), write(tmp_path, "b")
    times_a = {str(p.relative_to(out_a)): p.stat().st_mtime
               for p in (out_a / "repos").rglob("*") if p.is_file() and ".git" not in str(p)}
    times_b = {str(p.relative_to(out_b)): p.stat().st_mtime
               for p in (out_b / "repos").rglob("*") if p.is_file() and ".git" not in str(p)}
    assert times_a == times_b and times_a


def test_another_seed_changes_the_data(tmp_path):
    a = snapshot(write(tmp_path, "a", seed=5))
    b = snapshot(write(tmp_path, "b", seed=6))
    assert a["signins/ServicePrincipalSignIns.jsonl"] != b["signins/ServicePrincipalSignIns.jsonl"]
    assert a["labels.json"] != b["labels.json"]


def test_end_date_moves_the_timeline(tmp_path):
    out = write(tmp_path, "a", end=date(2025, 3, 1))
    doc = labels(out)
    assert doc["end"] == "2025-03-01T00:00:00Z"
    assert doc["start"] == "2025-02-19T00:00:00Z"
    assert all("2025-02-19T00:00:00Z" <= lb["start"] <= "2025-03-01T00:00:00Z"
               for lb in doc["labels"])


def test_same_bytes_across_processes_with_different_hash_seeds(tmp_path):
    """Nothing depends on ``PYTHONHASHSEED`` (set iteration order, ``hash()``)."""
    outs = []
    for hash_seed in ("1", "4242"):
        out = tmp_path / f"h{hash_seed}"
        subprocess.run([sys.executable, "-m", "vigil.cli.main", "simulate", "--out", str(out),
                        "--seed", "9", "--days", "8", "--sps", "40"], check=True,
                       capture_output=True, env={**os.environ, "PYTHONHASHSEED": hash_seed})
        outs.append(snapshot(out))
    assert outs[0] == outs[1]
