"""Kill `vigil ingest` mid-run (SIGKILL), run it again: the database equals one clean run's."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bench.corpus import write_signins

TABLES = {
    "sign_ins": "SELECT id, kind, service_principal_id, created_at, ip_address, country, asn, "
    "is_hosting, error_code, credential_key_id FROM sign_ins",
    "rejected_records": "SELECT fingerprint, source, line, reason FROM rejected_records",
    "risk_detections": "SELECT id, risk_event_type, risk_level, activity_at FROM risk_detections",
}


def snapshot(db: Path) -> dict[str, set[tuple]]:
    with sqlite3.connect(db) as conn:
        return {name: set(conn.execute(query)) for name, query in TABLES.items()}


def vigil(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "vigil.cli.main", "--db", f"sqlite:///{db}", *args]


def stored_rows(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM sign_ins").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def children(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.parametrize("detect", [True, False], ids=["detectors", "no-detect"])
def test_sigkill_mid_run_then_rerun_equals_a_clean_run(tmp_path, detect):
    """Without detectors the load drops the unique id indexes too (vigil.store.unique_ids): the
    input then repeats records, which the killed load may have stored twice."""
    source = tmp_path / "signins.jsonl"
    write_signins(source, 60_000, seed=7, principals=300)
    if not detect:
        lines = source.read_bytes().splitlines(keepends=True)
        # each of the first 15,000 records again, right after the first 1,000 and at the end
        source.write_bytes(b"".join(lines[:1000] + lines[:15_000] + lines[1000:] + lines[:15_000]))
    with source.open("a") as out:
        out.write('{"id": "broken", "createdDateTime": \n')  # one reject, near the end
    crashed, clean = tmp_path / "crashed.db", tmp_path / "clean.db"
    for db in (crashed, clean):
        subprocess.run(vigil(db, "migrate"), check=True, capture_output=True)
    options = [] if detect else ["--no-detect"]

    proc = subprocess.Popen(vigil(crashed, "ingest", *options, "--batch-size", "2000", str(source)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while stored_rows(crashed) < 10_000 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "ingest finished before it could be killed; make the input larger"
    workers = children(proc.pid) if Path("/proc/self/stat").exists() else set()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    if Path("/proc/self/stat").exists():  # its parser workers do not outlive it
        assert workers, "the ingest should have parser worker processes"
        deadline = time.monotonic() + 10
        while any(running(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(running(w) for w in workers), "orphaned parser workers"
    partial = stored_rows(crashed)
    assert 0 < partial < 60_000

    subprocess.run(vigil(crashed, "ingest", *options, str(source)), check=True,
                   capture_output=True)
    subprocess.run(vigil(clean, "ingest", *options, str(source)), check=True, capture_output=True)
    after, expected = snapshot(crashed), snapshot(clean)
    assert len(expected["sign_ins"]) == 60_000
    for db in (crashed, clean):  # one row an id, and raw records kept once
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT count(*) FROM sign_ins").fetchone()[0] == 60_000
            assert conn.execute(
                "SELECT count(*) FROM raw_blocks WHERE pk NOT IN (SELECT raw_block FROM sign_ins)"
            ).fetchone()[0] == 0
    assert len(expected["rejected_records"]) == 1
    assert after == expected
