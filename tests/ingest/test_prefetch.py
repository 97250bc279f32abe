"""``vigil.ingest.prefetch.parse_files``: a folder's files parsed ahead, each given as ``parse`` gives it."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from tests.ingest.test_fast_path import RECEIVED, _comparable, _mixed_file

from vigil.ingest.parallel import EnrichConfig, ParallelParser
from vigil.ingest.parse import Parsed
from vigil.ingest.prefetch import parse_files
from vigil.ingest.readers import ReadError
from vigil.store import Reject


@pytest.fixture(scope="module")
def parser() -> Iterator[ParallelParser]:
    p = ParallelParser(2, EnrichConfig(), block_bytes=2048)
    yield p
    p.close()


def _merged(parts: Iterator[Parsed | ReadError]) -> tuple[dict[str, Any], list[str]]:
    merged, errors = Parsed(), []
    for part in parts:
        if isinstance(part, ReadError):
            errors.append(f"{part.line}: {part.reason}")
        else:
            merged.extend(part)
    return _comparable(merged), errors


def test_each_file_comes_back_as_parse_gives_it(tmp_path: Path, parser: ParallelParser) -> None:
    """Files of several blocks, one block, none, a gzip and a vanished file, in any order."""
    data = _mixed_file()
    paths = []
    for n, content in enumerate([data, data[:1500], b"", data, data[:300]]):
        path = tmp_path / f"{n}.jsonl"
        path.write_bytes(content)
        paths.append(path)
    packed = tmp_path / "2b.jsonl.gz"
    packed.write_bytes(gzip.compress(data))
    paths.insert(2, packed)
    paths.insert(4, tmp_path / "gone.jsonl")  # listed, then removed before its turn
    got = []
    for path, parts in parse_files(parser, paths, None, RECEIVED):
        got.append((path, _merged(parts)))
    assert [p for p, _ in got] == paths
    for path, result in got:
        assert result == _merged(parser.parse(path, None, RECEIVED)), path
    assert got[4][1][1] and "cannot open" in got[4][1][1][0]  # the vanished file says so
    assert len(got[0][1][0]["rejects"]) > 3  # several blocks' rejects, lines shifted alike


class _Tracked(Future):  # type: ignore[type-arg]
    """A block the caller may drop (``cancel``): then it is no longer in flight."""

    def __init__(self, owner: _FakeParser) -> None:
        super().__init__()
        self.owner = owner

    def cancel(self) -> bool:
        self.owner.in_flight -= 1
        return super().cancel()


class _FakeParser:
    """Blocks of a line (11 bytes) answered at once; a block starting at ``fail_at`` of
    ``fail_in`` fails; counts what is in flight (submitted, neither taken nor dropped)."""

    workers = 2
    block_bytes = 10

    def __init__(self, fail_in: str, fail_at: int) -> None:
        self.fail_in, self.fail_at = fail_in, fail_at
        self.in_flight = self.most = 0
        self.parsed: list[str] = []

    def submit_range(
        self, source: str, start: int, end: int, kind: str | None, received_at: str
    ) -> Future[tuple[int, Parsed, str | None]]:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        future = _Tracked(self)
        if source.endswith(self.fail_in) and start == self.fail_at:
            future.set_result((0, Parsed(), "disk gone"))
        else:
            reject = Reject(source, 1, f"bytes {start}-{end}", "signins")
            future.set_result((1, Parsed(rejects=[reject]), None))
        return future

    def result(self, future: Future[Any]) -> Any:
        self.in_flight -= 1
        return future.result()

    def parse(self, path: Path, kind: str | None, received_at: str) -> Iterator[ReadError]:
        self.parsed.append(path.name)
        yield ReadError(str(path), 0, "parsed by parse")


def test_blocks_in_flight_stay_bounded_lines_shift_and_a_failed_block_ends_its_file(
    tmp_path: Path,
) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.jsonl").write_bytes(b"1234567890\n" * 5)  # five blocks of a line
    (tmp_path / "z.jsonl.gz").write_bytes(gzip.compress(b"{}\n"))
    names = ["a", "b", "z", "c"]
    paths = [tmp_path / (f"{n}.jsonl" if n != "z" else "z.jsonl.gz") for n in names]
    fake = _FakeParser("b.jsonl", 22)
    out: dict[str, list[str]] = {}
    for path, parts in parse_files(fake, paths, None, RECEIVED):  # type: ignore[arg-type]
        out[path.name] = [
            f"{p.line}: {p.reason}"
            if isinstance(p, ReadError)
            else ", ".join(f"{r.line}: {r.reason}" for r in p.rejects)
            for p in parts
        ]
    assert out["a.jsonl"] == [f"{n + 1}: bytes {11 * n}-{11 * n + 11}" for n in range(5)]
    assert out["b.jsonl"] == [
        "1: bytes 0-11",
        "2: bytes 11-22",
        "",
        "0: cannot read further: disk gone",
    ]
    assert out["z.jsonl.gz"] == ["0: parsed by parse"] and fake.parsed == ["z.jsonl.gz"]
    assert out["c.jsonl"] == out["a.jsonl"]
    assert fake.most == 2 * fake.workers  # ahead as far as allowed, never further


def test_a_file_left_half_read_is_not_passed_over_silently(tmp_path: Path) -> None:
    """The next file's blocks would come back empty (its cuts not yet made): it says so."""
    for name in ("a", "b"):
        (tmp_path / f"{name}.jsonl").write_bytes(b"1234567890\n" * 20)
    files = parse_files(
        _FakeParser("none", -1),
        [tmp_path / "a.jsonl", tmp_path / "b.jsonl"],  # type: ignore[arg-type]
        None,
        RECEIVED,
    )
    _, first = next(files)
    next(first)  # one block of twenty, then on to the next file
    _, second = next(files)
    with pytest.raises(RuntimeError, match="not read to their end"):
        next(second)


def _in_process(path: Path) -> tuple[dict[str, Any], list[str]]:
    """What the writer parsing ``path`` itself gives (``Ingestor.ingest_items``)."""
    from vigil.enrich import Enricher, GeoIP, HostingClassifier
    from vigil.ingest.parse import chunks, parse_items
    from vigil.ingest.readers import iter_records

    enricher = Enricher(GeoIP(), HostingClassifier())
    parts = (
        parse_items(c, kind=None, received_at=RECEIVED, enricher=enricher, keep_models=False)
        for c in chunks(iter_records(str(path), spans=True), 5000)
    )
    return _merged(iter(parts))


@pytest.mark.parametrize("whole", [True, False], ids=["whole-files", "item-chunks"])
def test_files_that_are_not_json_lines_come_back_as_parsed_in_process(
    tmp_path: Path, parser: ParallelParser, monkeypatch: pytest.MonkeyPatch, whole: bool
) -> None:
    """Documents and CSV between JSON Lines files: a worker reads a small one whole; a larger
    one is read here and its items go to the workers in chunks (forced for every file here)."""
    from tests.golden import DATA
    from tests.ingest.test_spans import TEXTS

    from vigil.ingest import prefetch

    if not whole:
        monkeypatch.setattr(prefetch, "WHOLE_FILE_BYTES", 0)
        monkeypatch.setattr(prefetch, "ITEMS_PER_TASK", 7)
    texts = dict(TEXTS)
    files = {
        "a.jsonl": _mixed_file(),
        "b.json": texts["page.pretty"],
        "c.json": texts["page-of-odd-items.compact"],  # one line: JSON Lines
        "d.json": texts["array-of-pages.pretty"],
        "e.csv": (DATA / "la" / "AuditLogs.csv").read_bytes(),
        "f.json.gz": gzip.compress(texts["records.pretty"]),
        "g.json": b"{\n  broken",
        "h.json": b"",
        "i.json": texts["query-response.pretty"],
    }
    paths = []
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content)
        paths.append(path)
    paths.insert(3, tmp_path / "gone.json")  # listed, then removed before its turn
    jsonl = [p.name in ("a.jsonl", "c.json") for p in paths]
    got = [(p, _merged(parts)) for p, parts in parse_files(parser, paths, None, RECEIVED, jsonl)]
    assert [p for p, _ in got] == paths
    for (path, result), is_jsonl in zip(got, jsonl, strict=True):
        expected = _merged(parser.parse(path, None, RECEIVED)) if is_jsonl else _in_process(path)
        assert result == expected, path
    sign_ins = {p.name: len(r[0]["sign_in_rows"]) for p, r in got}
    assert sign_ins["b.json"] > 10 and sign_ins["d.json"] > 3
    assert got[7][1][0]["rejects"] and got[3][1][0]["rejects"][0][2].startswith("no such file")
