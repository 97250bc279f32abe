"""Worker-process parsing: same rows, raw records, rejections and line numbers as in-process."""

from __future__ import annotations

import gzip
import io
import itertools
from pathlib import Path

import pytest
from tests.ingest.test_fast_path import ENRICHER, RECEIVED, _comparable, _mixed_file
from tests.ingest.test_readers import TRUNCATED, sign_in_lines, truncated_gzip

from vigil.ingest.parallel import EnrichConfig, ParallelParser, parse_in_process, ranges
from vigil.ingest.parse import Parsed, parse_items
from vigil.ingest.readers import ReadError, read_stream


def test_ranges_cover_the_file_and_cut_at_line_ends() -> None:
    data = b"".join(b"x" * (n % 37) + b"\n" for n in range(500)) + b"y" * 9000 + b"\nlast"
    pieces = list(ranges(io.BytesIO(data), 256))
    assert pieces[0][0] == 0 and pieces[-1][1] == len(data)
    for (_, end), (start, _) in itertools.pairwise(pieces):
        assert end == start and data[end - 1 : end] == b"\n"
    assert any(end - start > 9000 for start, end in pieces)  # a long line stays whole


@pytest.fixture(scope="module")
def parser() -> ParallelParser:
    p = ParallelParser(2, EnrichConfig(), block_bytes=2048)
    yield p
    p.close()


@pytest.mark.parametrize("compressed", [False, True])
def test_workers_give_what_in_process_parsing_gives(
    tmp_path: Path, parser: ParallelParser, compressed: bool
) -> None:
    data = _mixed_file()
    path = tmp_path / ("mixed.jsonl.gz" if compressed else "mixed.jsonl")
    path.write_bytes(gzip.compress(data) if compressed else data)
    merged = Parsed()
    for part in parser.parse(path, None, RECEIVED):
        assert not isinstance(part, ReadError)
        merged.extend(part)
    expected = parse_items(
        read_stream(io.BytesIO(data), str(path), 512 * 1024 * 1024),
        kind=None,
        received_at=RECEIVED,
        enricher=ENRICHER,
        keep_models=False,
    )
    assert len(merged.sign_in_blocks) > 3, "the file must span several blocks"
    assert sorted(r.line for r in merged.rejects) == sorted(r.line for r in expected.rejects)
    assert _comparable(merged) == _comparable(expected)


def test_special_files_are_not_split(tmp_path: Path) -> None:
    import os

    from vigil.ingest.parallel import splittable

    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    assert not splittable(fifo)  # returns at once: peeking would consume (and block on) it
    plain = tmp_path / "plain.jsonl"
    plain.write_bytes(_mixed_file())
    assert splittable(plain)


def test_workers_run_below_the_writers_priority(parser: ParallelParser) -> None:
    """The writer is the serial stage: workers are niced so it gets a core when it needs one."""
    import os

    from vigil.ingest.parallel import WORKER_NICENESS

    if not hasattr(os, "getpriority"):
        pytest.skip("no process priorities on this platform")
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    if mine >= 19:
        pytest.skip("the tests already run at the lowest priority: workers cannot go lower")
    theirs = {parser._pool.submit(os.getpriority, os.PRIO_PROCESS, 0).result() for _ in range(8)}
    assert WORKER_NICENESS > 0
    assert theirs == {min(mine + WORKER_NICENESS, 19)}
    assert os.getpriority(os.PRIO_PROCESS, 0) == mine  # the writer keeps its own


def test_a_worker_that_may_not_lower_its_priority_still_parses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    def refused(_: int) -> int:
        raise PermissionError("setpriority denied")

    monkeypatch.setattr(os, "nice", refused)  # forked workers inherit the patch
    data = _mixed_file()
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(data)
    p = ParallelParser(2, EnrichConfig(), block_bytes=2048)
    try:
        merged = Parsed()
        for part in p.parse(path, None, RECEIVED):
            assert not isinstance(part, ReadError)
            merged.extend(part)
    finally:
        p.close()
    assert merged.sign_in_rows


def test_a_truncated_gzip_keeps_every_whole_line_in_every_block(
    tmp_path: Path, parser: ParallelParser
) -> None:
    """GzipFile.read drops the block it was reading when the file ends early: nothing is lost."""
    cut, whole, partial = truncated_gzip(sign_in_lines(2000))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(cut)
    error = ReadError(
        str(path), whole + 1, f"cannot read further after line {whole}: {TRUNCATED}", partial
    )
    for parts in (
        list(parser.parse(path, None, RECEIVED)),  # 2 KiB blocks: many of them
        list(parse_in_process(path, None, RECEIVED, ENRICHER)),
    ):
        assert parts[-1] == error
        merged = Parsed()
        for part in parts[:-1]:
            merged.extend(part)
        assert [row[0] for row in merged.sign_in_rows] == [f"t-{n:05d}" for n in range(whole)]
        assert merged.rejects == []


_DIES_WHILE_SENDING = """
import os, sys
from multiprocessing import connection
from pathlib import Path
from concurrent.futures.process import BrokenProcessPool
from vigil.ingest import parallel

real = parallel._parse_range

def dies_while_sending(*args):
    def half(self, buf, write=os.write):  # the result's first half reaches the pipe, then death
        write(self._handle, bytes(buf[: len(buf) // 2]))
        os._exit(1)
    connection.Connection._send = half  # in this worker only: the writer has its own copy
    return real(*args)

parallel._parse_range = dies_while_sending  # forked workers inherit it
p = parallel.ParallelParser(2, parallel.EnrichConfig(), block_bytes=2048)
try:
    list(p.parse(Path(sys.argv[1]), None, "2026-01-01T00:00:00+00:00"))
except BrokenProcessPool as exc:
    print("broken:", exc)
finally:
    p.close()
"""


def test_a_worker_dying_halfway_through_sending_its_result_does_not_hang_the_writer(
    tmp_path: Path,
) -> None:
    """The pool's result pipe then holds half a message that never ends (its other workers and
    the writer keep the pipe open): CPython's ProcessPoolExecutor waited for the rest forever,
    and so did ``vigil ingest`` (killing a worker of a tenant ingest hung it 1 time in 6)."""
    import subprocess
    import sys

    path = tmp_path / "mixed.jsonl"
    path.write_bytes(_mixed_file())
    script = tmp_path / "dies.py"
    script.write_text(_DIES_WHILE_SENDING)
    try:
        done = subprocess.run(
            [sys.executable, str(script), str(path)], capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the writer hung once a worker died while sending its result")
    assert done.returncode == 0, done.stderr
    assert "broken: parser worker" in done.stdout
