"""`vigil ingest --follow`: tails growing files, picks up new files, resumes from checkpoints."""

from __future__ import annotations

import gzip
import os
import threading
import time
from pathlib import Path

import orjson

from vigil.app import build
from vigil.ingest.follow import Follower, follow
from vigil.ingest.summary import IngestSummary
from vigil.settings import Settings
from vigil.store.checkpoints import Checkpoint, CheckpointRepository

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


def test_replaced_file_is_read_from_the_start(tmp_path):
    """A file moved over the followed one (another inode, other first bytes) is not resumed."""
    app = make_app(tmp_path)
    log = tmp_path / "s.jsonl"
    log.write_text("".join(signin(n) + "\n" for n in range(1, 4)))
    Follower(app.ingestor(), [str(log)], None).poll(IngestSummary())
    new = tmp_path / "new.jsonl.tmp"
    new.write_text("".join(signin(n) + "\n" for n in range(10, 18)))
    new.replace(log)
    summary = IngestSummary()
    Follower(make_app(tmp_path).ingestor(), [str(log)], None).poll(summary)
    assert (summary.total.stored, summary.total.rejected) == (8, 0)
    assert stored_signins(app) == 11


def test_file_rewritten_in_place_is_read_from_the_start(tmp_path):
    """Same inode, longer, other first bytes (copytruncate, then rewritten): read again."""
    app = make_app(tmp_path)
    log = tmp_path / "s.jsonl"
    log.write_text("".join(signin(n) + "\n" for n in range(1, 4)))
    follower = Follower(app.ingestor(), [str(log)], None)
    follower.poll(IngestSummary())
    with log.open("w") as out:
        out.write("".join(signin(n) + "\n" for n in range(10, 18)))
    summary = IngestSummary()
    follower.poll(summary)
    assert (summary.total.stored, summary.total.rejected) == (8, 0)


def test_checkpoints_without_identity_still_resume(tmp_path):
    """Checkpoints written before revision 0007 (no identity, no format) are used."""
    app = make_app(tmp_path)
    log = tmp_path / "s.jsonl"
    first = signin(1) + "\n"
    log.write_text(first + signin(2) + "\n")
    stat = log.stat()
    old = Checkpoint(str(log), len(first), 1, stat.st_size, stat.st_mtime_ns)
    CheckpointRepository(app.store.engine).set(old, app.clock())
    summary = IngestSummary()
    Follower(app.ingestor(), [str(log)], None).poll(summary)
    assert summary.total.read == 1 and stored_signins(app) == 1  # line 2 only
    saved = CheckpointRepository(app.store.engine).get(str(log))
    assert saved is not None and saved.identity is not None and saved.format == "lines"


def test_checkpoint_without_identity_not_at_a_line_end_reads_from_the_start(tmp_path):
    app = make_app(tmp_path)
    log = tmp_path / "s.jsonl"
    log.write_text(signin(1) + "\n" + signin(2) + "\n")
    stat = log.stat()
    old = Checkpoint(str(log), 30, 1, stat.st_size, stat.st_mtime_ns)  # mid-line: another file
    CheckpointRepository(app.store.engine).set(old, app.clock())
    summary = IngestSummary()
    Follower(app.ingestor(), [str(log)], None).poll(summary)
    assert (summary.total.stored, summary.total.rejected) == (2, 0)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_unterminated_last_line_is_read_once_the_file_settles(tmp_path):
    app = make_app(tmp_path)
    rejects = tmp_path / "rejects.jsonl"
    log = tmp_path / "s.jsonl"
    log.write_text(signin(1) + "\n" + signin(2))  # a finished file, no final newline
    clock = FakeClock()
    summary = IngestSummary()
    with rejects.open("wb") as out:
        follower = Follower(
            app.ingestor(rejects_file=out), [str(log)], None, settle_seconds=2, monotonic=clock
        )
        follower.poll(summary)
        assert summary.total.stored == 1  # the last line may still be being written
        clock.now = 1.0
        follower.poll(summary)
        assert summary.total.stored == 1
        clock.now = 2.5
        follower.poll(summary)
        assert summary.total.stored == 2
        clock.now = 10
        follower.poll(summary)
        assert summary.total.read == 2  # not read again

        # The writer ends the line and goes on: line 2 is not read again, numbering stays right.
        with log.open("a") as f:
            f.write("\n" + signin(3) + "\nnot json\n")
        follower.poll(summary)
    assert (summary.total.read, summary.total.stored, summary.total.duplicate) == (4, 3, 0)
    [reject] = [orjson.loads(line) for line in rejects.read_bytes().splitlines()]
    assert reject["line"] == 4
    cp = CheckpointRepository(app.store.engine).get(str(log))
    assert cp is not None and (cp.offset, cp.line, cp.tail) == (log.stat().st_size, 4, 0)

    # A restart resumes: nothing read again.
    again = IngestSummary()
    Follower(make_app(tmp_path).ingestor(), [str(log)], None).poll(again)
    assert again.total.read == 0


def test_settled_fragment_extended_later_is_read_whole(tmp_path):
    app = make_app(tmp_path)
    log = tmp_path / "s.jsonl"
    whole = signin(2)
    log.write_text(signin(1) + "\n" + whole[:30])  # a writer that paused mid-line
    clock = FakeClock()
    follower = Follower(app.ingestor(), [str(log)], None, settle_seconds=2, monotonic=clock)
    summary = IngestSummary()
    follower.poll(summary)
    clock.now = 3
    follower.poll(summary)
    assert (summary.total.stored, summary.total.rejected) == (1, 1)  # the fragment: rejected
    with log.open("a") as f:
        f.write(whole[30:] + "\n" + signin(3) + "\n")
    follower.poll(summary)
    assert summary.total.stored == 3
    cp = CheckpointRepository(app.store.engine).get(str(log))
    assert cp is not None and (cp.line, cp.tail) == (3, 0)


def test_line_longer_than_a_chunk_is_rejected_and_the_lines_after_it_are_read(
    tmp_path, monkeypatch
):
    """A tailed line longer than a read chunk (64 MiB) held no newline, so nothing was read and
    the checkpoint never moved: every poll read the same chunk again and the lines after it were
    never ingested (a plain ingest rejects that line and goes on)."""
    monkeypatch.setattr("vigil.ingest.follow._MAX_CHUNK", 8192)
    app = make_app(tmp_path)
    log = tmp_path / "live.jsonl"
    long_line = '{"pad": "' + "x" * 20_000 + '"}'
    log.write_text(LINES[0] + "\n" + long_line[:12_000])  # the long line, still being written
    follower = Follower(app.ingestor(), [str(log)], None, settle_seconds=0)
    summary = IngestSummary()
    follower.poll(summary)
    assert (summary.total.stored, summary.total.rejected) == (1, 0)
    with log.open("a") as out:
        out.write(long_line[12_000:] + "\n" + LINES[1] + "\n" + LINES[2] + "\n")
    follower.poll(summary)
    follower.poll(summary)
    assert (summary.total.stored, summary.total.rejected) == (3, 1)
    [reject] = app.store.rejects.list()
    assert (reject.line, reject.reason) == (2, "line longer than 8192 bytes")
    assert reject.raw is not None and reject.raw.startswith(b'{"pad": "xxx')

    # A restart resumes after them: nothing is read twice.
    again = IngestSummary()
    Follower(make_app(tmp_path).ingestor(), [str(log)], None).poll(again)
    assert again.total.read == 0
    with log.open("a") as out:
        out.write(LINES[3] + "\n")
    Follower(make_app(tmp_path).ingestor(), [str(log)], None).poll(again)
    assert (again.total.read, again.total.stored) == (1, 1)


def diagnostic_signin(n: int) -> dict[str, object]:
    """A diagnostic-settings ServicePrincipalSignInLogs record (about 500 bytes as JSON)."""
    at = f"2026-11-28T14:{n // 60 % 60:02d}:{n % 60:02d}Z"
    return {
        "time": at,
        "category": "ServicePrincipalSignInLogs",
        "operationName": "Sign-in activity",
        "tenantId": "8c5d1f3e-2a47-4b9d-9e61-3f0a7c2b5d14",
        "resultType": "0",
        "callerIpAddress": "20.190.151.7",
        "properties": {
            "id": f"00000000-0000-4000-8000-{n:012d}",
            "createdDateTime": at,
            "appId": "0c4e8b2a-6d1f-4a3e-9b7c-2e5f8a1d4c6b",
            "servicePrincipalId": "11111111-1111-4111-8111-111111111111",
            "ipAddress": "20.190.151.7",
            "status": {"errorCode": 0},
            "signInEventTypes": ["servicePrincipal"],
        },
    }


def test_one_line_document_rewritten_in_place_is_read_from_the_start(tmp_path):
    """A one-line {"records": [...]} file (JSON Lines of one line) rewritten in place with more
    records keeps its inode and its first 4 KiB: it was resumed at the old offset, inside the
    new line, so the records after the first 4 KiB were rejected as fragments and lost."""
    app = make_app(tmp_path)
    log = tmp_path / "PT1H.json"

    def write(count: int) -> None:
        with log.open("r+b" if log.exists() else "wb") as out:  # in place: same inode
            out.write(orjson.dumps({"records": [diagnostic_signin(n) for n in range(count)]}))
            out.write(b"\n")
            out.truncate()

    write(10)
    assert log.stat().st_size > 4096
    follower = Follower(app.ingestor(), [str(log)], None)
    summary = IngestSummary()
    follower.poll(summary)
    assert (summary.total.stored, summary.total.rejected) == (10, 0)
    write(12)
    follower.poll(summary)
    assert (summary.total.stored, summary.total.rejected) == (12, 0)
    assert stored_signins(app) == 12


def test_follow_stopped_with_nothing_new_exits_zero(tmp_path, monkeypatch):
    """A follower stopped (SIGTERM: a service stop) while nothing new arrived, everything
    already read from its checkpoints or a folder still empty, has not failed: it printed
    'error: nothing could be read' and exited 1, which marks a service unit failed."""
    from click.testing import CliRunner

    from vigil.cli.main import cli

    def one_poll(*args, **kwargs):
        return follow(*args, **{**kwargs, "max_polls": 1})

    monkeypatch.setattr("vigil.cli.ingest.follow_sources", one_poll)
    folder = tmp_path / "archive"
    folder.mkdir()
    command = ["--db", f"sqlite:///{tmp_path / 'v.db'}", "ingest", "--follow", str(folder)]
    runner = CliRunner()
    empty = runner.invoke(cli, command)
    assert empty.exit_code == 0, empty.output
    (folder / "s.jsonl").write_text(signin(1) + "\n")
    assert runner.invoke(cli, command).exit_code == 0
    again = runner.invoke(cli, command)  # read already: nothing new
    assert again.exit_code == 0, again.output
    assert "nothing could be read" not in again.output


def test_an_idle_poll_costs_one_query_however_many_files(tmp_path):
    """Each poll looked up every file's checkpoint on its own: one query per file, so a year of
    hour folders (8760 PT1H.json) took seconds per poll, beyond the poll interval."""
    from sqlalchemy import event

    app = make_app(tmp_path)
    folder = tmp_path / "archive"
    for hour in range(30):
        d = folder / f"y=2026/m=11/d={hour // 24 + 1:02d}/h={hour % 24:02d}/m=00"
        d.mkdir(parents=True)
        (d / "PT1H.json").write_text(signin(hour) + "\n")
    follower = Follower(app.ingestor(), [str(folder)], None)
    summary = IngestSummary()
    follower.poll(summary)
    assert summary.total.stored == 30
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(app.store.engine, "before_cursor_execute", listener)
    try:
        follower.poll(summary)
    finally:
        event.remove(app.store.engine, "before_cursor_execute", listener)
    assert summary.total.read == 30
    assert len([s for s in statements if s.lstrip().startswith("SELECT")]) == 1, statements


def test_document_still_being_written_is_not_rejected(tmp_path):
    """A {"records": [...]} file appended to record by record, closed when its hour ends, was
    read whenever it stood still for a poll: each read rejected it ('unexpected end of data'),
    at a new line each time, so a quiet hour left one reject per pause. It is read once whole;
    values one after another are read as they end."""
    app = make_app(tmp_path)
    rejects = tmp_path / "rejects.jsonl"
    archive = tmp_path / "archive"
    archive.mkdir()
    document, sequence = archive / "PT1H.json", archive / "dump.json"
    records = [orjson.dumps(diagnostic_signin(n)).decode() for n in range(4)]
    document.write_text('{"records": [\n' + records[0])
    pretty = [orjson.dumps(orjson.loads(signin(n)), option=orjson.OPT_INDENT_2) for n in (1, 2)]
    sequence.write_bytes(pretty[0] + b"\n" + pretty[1][:20])
    with rejects.open("wb") as out:
        follower = Follower(app.ingestor(rejects_file=out), [str(archive)], None)
        summary = IngestSummary()
        for text in records[1:]:
            with document.open("a") as f:
                f.write(",\n" + text)
            follower.poll(summary)
            follower.poll(summary)  # stood still for a poll
        assert (summary.total.stored, summary.total.rejected) == (1, 0)  # dump.json's first
        with document.open("a") as f:
            f.write("\n]}\n")
        with sequence.open("ab") as f:
            f.write(pretty[1][20:] + b"\n")
        follower.poll(summary)
        follower.poll(summary)
    assert (summary.total.stored, summary.total.rejected) == (6, 0)
    assert rejects.read_bytes() == b""
    assert app.store.rejects.list() == []


def test_a_file_gone_between_its_stat_and_its_read_is_skipped(tmp_path, monkeypatch):
    """A file removed (retention clean-up, rotation) after a poll saw it but before the poll
    opened it raised FileNotFoundError out of the poll and ended the follower."""
    import vigil.ingest.follow as follow_module

    app = make_app(tmp_path)
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "a.jsonl").write_text(signin(1) + "\n")
    (folder / "b.jsonl").write_text(signin(2) + "\n")
    real_format = follow_module._format

    def format_then_remove(path: Path) -> str | None:
        fmt = real_format(path)
        if path.name == "a.jsonl":
            path.unlink()
        return fmt

    monkeypatch.setattr(follow_module, "_format", format_then_remove)
    summary = IngestSummary()
    Follower(app.ingestor(), [str(folder)], None).poll(summary)
    assert summary.total.stored == 1  # b.jsonl, after a.jsonl vanished


def test_a_backlog_is_read_chunk_after_chunk_without_waiting_for_the_next_poll(
    tmp_path, monkeypatch
):
    """A poll reads one chunk (64 MiB) of a file: 1 GB behind, catching up waited a poll
    interval between chunks (16 of them), and new records waited behind the backlog."""
    monkeypatch.setattr("vigil.ingest.follow._MAX_CHUNK", 1024)
    app = make_app(tmp_path)
    log = tmp_path / "live.jsonl"
    log.write_text("".join(signin(n) + "\n" for n in range(60)))  # about 7 chunks
    stop = threading.Event()
    worker = threading.Thread(
        target=lambda: follow(app.ingestor(), [str(log)], None, poll_seconds=30, stop=stop)
    )
    started = time.monotonic()
    worker.start()
    try:
        while stored_signins(app) < 60 and time.monotonic() - started < 10:
            time.sleep(0.02)
        assert stored_signins(app) == 60
        assert time.monotonic() - started < 10
    finally:
        stop.set()
        worker.join(10)


def test_gzip_still_being_written_is_not_rejected(tmp_path):
    """A .gz file that stood still for a poll while half written was rejected ('Compressed file
    ended before the end-of-stream marker was reached'), once per change."""
    lines = "".join(signin(n) + "\n" for n in range(40)).encode()
    whole = gzip.compress(lines)
    app = make_app(tmp_path)
    log = tmp_path / "hour.json.gz"
    log.write_bytes(whole[: len(whole) // 2])
    follower = Follower(app.ingestor(), [str(log)], None, settle_seconds=0)
    summary = IngestSummary()
    for _ in range(3):
        follower.poll(summary)
    assert summary.total.rejected == 0 and app.store.rejects.count() == 0
    log.write_bytes(whole)
    for _ in range(3):
        follower.poll(summary)
    assert (stored_signins(app), app.store.rejects.count()) == (40, 0)


def test_a_secret_split_over_polls_is_not_kept_in_a_reject(tmp_path):
    """The value of a secretText member named on the last line of one poll, appended by the next:
    its reject keeps only [redacted] (found by a reviewer: each poll's lines were judged alone)."""
    app = make_app(tmp_path)
    rejects = tmp_path / "rejects.jsonl"
    log = tmp_path / "s.jsonl"
    log.write_text(signin(1) + "\n" + '{"appId": "a", "secretText":\n')
    with rejects.open("wb") as out:
        follower = Follower(app.ingestor(rejects_file=out), [str(log)], None)
        summary = IngestSummary()
        follower.poll(summary)
        with log.open("a") as f:
            f.write('"hunter2-old-secret"}\n' + signin(2) + "\n")
        follower.poll(summary)
    assert stored_signins(app) == 2
    found = [orjson.loads(line) for line in rejects.read_bytes().splitlines()]
    assert [r["line"] for r in found] == [2, 3]
    assert "hunter2" not in rejects.read_text()


def test_a_file_whose_name_is_not_utf8_is_followed_and_resumed(tmp_path):
    """``caf\\xe9.jsonl`` (a Latin-1 name): its checkpoint and its rejects name it so, and a
    restart resumes from that checkpoint. The undecodable byte failed the store's writes."""
    app = make_app(tmp_path)
    folder = tmp_path / "archive"
    folder.mkdir()
    log = folder / os.fsdecode(b"caf\xe9.jsonl")  # the name as Python reads it
    log.write_text(LINES[0] + "\n" + "{broken\n" + LINES[1] + "\n")
    summary = IngestSummary()
    Follower(app.ingestor(), [str(folder)], None).poll(summary)
    assert (summary.total.stored, summary.total.rejected) == (2, 1)
    name = f"{folder}/caf\\xe9.jsonl"
    assert CheckpointRepository(app.store.engine).get(name) is not None
    assert [r.source for r in app.store.rejects.list()] == [name]
    again = IngestSummary()
    Follower(make_app(tmp_path).ingestor(), [str(folder)], None).poll(again)
    assert again.total.read == 0


def test_a_csv_in_a_followed_folder_is_read_whole_once_it_settles(tmp_path):
    """Every CSV file followed failed the poll with "seek of closed file": the CSV reader's text
    wrapper closes the handle, which the follower read its fingerprint from afterwards."""
    app = make_app(tmp_path)
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "AuditLogs.csv").write_bytes((DATA / "la" / "AuditLogs.csv").read_bytes())
    follower = Follower(app.ingestor(), [str(folder)], None)
    summary = IngestSummary()
    follower.poll(summary)  # first sight: waits a poll
    follower.poll(summary)  # unchanged since: read whole
    assert summary.kinds["audit"].stored > 0 and summary.total.rejected == 0
    again = IngestSummary()
    Follower(make_app(tmp_path).ingestor(), [str(folder)], None).poll(again)
    assert again.total.read == 0  # its checkpoint says it was read
