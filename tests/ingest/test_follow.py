"""`vigil ingest --follow`: tails growing files, picks up new files, resumes from checkpoints."""

from __future__ import annotations

import gzip
import threading
import time
from pathlib import Path

import orjson

from vigil.app import build
from vigil.ingest.follow import Follower, follow
from vigil.ingest.summary import IngestSummary
from vigil.settings import Settings

DATA = Path(__file__).resolve().parents[1] / "data"
LINES = (DATA / "graph" / "signins.jsonl").read_text().splitlines()


def make_app(tmp_path):
    return build(Settings(database_url=f"sqlite:///{tmp_path / 'v.db'}"))


def test_tail_appended_lines_and_partial_line_waits(tmp_path):
    app = make_app(tmp_path)
    folder = tmp_path / "archive"
    folder.mkdir()
    log = folder / "PT1H.json"
    log.write_text(LINES[0] + "\n" + LINES[1] + "\n")
    follower = Follower(app.ingestor(), [str(folder)], None)
    summary = IngestSummary()
    follower.poll(summary)
    assert (
        app.store.activity.counts()["signIns"]
        + app.store.activity.counts()["managedIdentitySignIns"]
        == 2
    )
    with log.open("a") as out:
        out.write(LINES[2] + "\n" + LINES[3][:40])  # the last line is still being written
    follower.poll(summary)
    assert summary.total.stored == 3
    with log.open("a") as out:
        out.write(LINES[3][40:] + "\n")
    follower.poll(summary)
    assert summary.total.stored == 4
    assert summary.total.rejected == 0

    # A restart resumes from the checkpoint: nothing is read twice.
    again = IngestSummary()
    Follower(make_app(tmp_path).ingestor(), [str(folder)], None).poll(again)
    assert again.total.read == 0


def test_new_files_and_whole_documents_wait_until_stable(tmp_path):
    app = make_app(tmp_path)
    folder = tmp_path / "drop"
    folder.mkdir()
    follower = Follower(app.ingestor(), [str(folder)], None)
    summary = IngestSummary()
    (folder / "audits.json").write_bytes(
        (DATA / "graph" / "directory_audits.page.json").read_bytes()
    )
    (folder / "more.jsonl.gz").write_bytes(gzip.compress(("\n".join(LINES[4:]) + "\n").encode()))
    follower.poll(summary)
    assert summary.total.read == 0  # first sight: wait one poll for the files to settle
    follower.poll(summary)
    assert summary.kinds["audit"].stored > 0
    assert summary.kinds["signins"].stored == len(LINES) - 4
    follower.poll(summary)
    assert summary.total.duplicate == 0  # unchanged files are not read again


def test_follow_stops_on_event_and_handles_records_within_a_poll(tmp_path):
    app = make_app(tmp_path)
    log = tmp_path / "live.jsonl"
    log.write_text("")
    stop = threading.Event()
    result: list[IngestSummary] = []
    worker = threading.Thread(
        target=lambda: result.append(
            follow(app.ingestor(), [str(log)], None, poll_seconds=0.05, stop=stop)
        )
    )
    worker.start()
    try:
        with log.open("a") as out:
            out.write(LINES[0] + "\n")
        start = time.monotonic()
        while time.monotonic() - start < 5:
            counts = app.store.activity.counts()
            if counts["signIns"] + counts["managedIdentitySignIns"] == 1:
                break
            time.sleep(0.02)
        assert time.monotonic() - start < 1.0, "a record should be stored within one second"
    finally:
        stop.set()
        worker.join(10)
    assert result and result[0].total.stored == 1


def signin(n: int) -> str:
    return (
        f'{{"id":"f-{n}","createdDateTime":"2026-10-25T00:14:{n:02d}Z",'
        f'"servicePrincipalId":"sp1","signInEventTypes":["servicePrincipal"]}}'
    )


def stored_signins(app) -> int:
    counts = app.store.activity.counts()
    return counts["signIns"] + counts["managedIdentitySignIns"]


def test_appended_bad_line_rejects_that_line_only(tmp_path):
    """The format is the file's (JSON Lines, from its start), not re-detected per appended chunk."""
    app = make_app(tmp_path)
    rejects = tmp_path / "rejects.jsonl"
    log = tmp_path / "s.jsonl"
    log.write_text(signin(1) + "\n" + signin(2) + "\n")
    with rejects.open("wb") as out:
        follower = Follower(app.ingestor(rejects_file=out), [str(log)], None)
        summary = IngestSummary()
        follower.poll(summary)
        with log.open("a") as f:
            f.write("# shipper restarted\n" + "".join(signin(n) + "\n" for n in (3, 4, 5)))
        follower.poll(summary)
    assert stored_signins(app) == 5
    assert summary.total.rejected == 1
    [reject] = [orjson.loads(line) for line in rejects.read_bytes().splitlines()]
    assert reject["line"] == 3
    assert "f-3" not in str(reject)


def test_follow_summary_reports_elapsed_time(tmp_path):
    app = make_app(tmp_path)
    log = tmp_path / "s.jsonl"
    log.write_text(signin(1) + "\n")
    summary = follow(app.ingestor(), [str(log)], None, poll_seconds=0.2, max_polls=2)
    assert summary.total.stored == 1
    assert summary.seconds >= 0.2
    assert "0.0s" not in summary.render()
