"""The next files' blocks parsed while the writer stores the current file (``vigil ingest FOLDER``).

A storage-account archive holds a file per hour and category (``.../h=13/m=00/PT1H.json``):
thousands of files, most smaller than one block. :meth:`ParallelParser.parse` keeps up to
``2 × workers`` blocks of *one* file in flight, so each small file was a round trip to a worker
while the writer waited, and a worker while the other idled: 2,000 files of ten sign-ins took
9.3 s for 20,000 records, which one file holds in 0.5 s.

:func:`parse_files` keeps those ``2 × workers`` blocks in flight across the plain JSON Lines files
of a list, in order: the workers parse the next files while the writer stores this one. Each file
still comes back whole and in order, its blocks as ``ParallelParser.parse`` yields them (line
numbers shifted, a block that cannot be read ending the file with ``cannot read further``). A
gzip JSON Lines file or one that cannot be opened is left to ``ParallelParser.parse`` when its
turn comes; the files after it are not started before.

Files that are not JSON Lines (JSON documents: Graph pages, ``{"records": [...]}``, arrays; CSV)
cannot be cut at line ends. A worker reads and parses such a file whole when it is small
(:data:`WHOLE_FILE_BYTES`: a Graph page of 1,000 sign-ins is 2-5 MB), so the writer only stores
it; a larger or gzip one this process reads (``iter_records``; a document's items as spans,
``vigil.ingest.spans``, cheap) and hands its items to the workers in chunks of
:data:`ITEMS_PER_TASK`. Both take slots of the same window. 100 pretty-printed Graph pages of
1,000 sign-ins: 11,700-12,900 records/s parsed by the writer, 19,100-21,700 by two workers;
three Log Analytics CSV exports (38, 11 and 5 MB): 6,800-7,800 before, 8,900-9,800 after.
"""

from __future__ import annotations

import os
import stat
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import IO

from vigil.ingest.parallel import GZIP_MAGIC, ParallelParser, ranges, shift_lines
from vigil.ingest.parse import Parsed, chunks
from vigil.ingest.readers import ReadError, iter_records

_Block = Future[tuple[int, Parsed, str | None]]


#: Items of a file that is not JSON Lines handed to a worker at a time.
ITEMS_PER_TASK = 1000
#: Files that are not JSON Lines up to this size (a Graph page holds 1,000 sign-ins, 2-5 MB) are
#: read and parsed by a worker whole, so the writer does nothing for them but store.
WHOLE_FILE_BYTES = 8 << 20


class _File:
    """One file of the list: its tasks while they are submitted, its blocks in flight."""

    def __init__(self, path: Path, jsonl: bool) -> None:
        self.path = path
        self.jsonl = jsonl
        self.handle: IO[bytes] | None = None
        self.tasks: Iterator[Callable[[], _Block]] | None = None
        self.pending: deque[_Block] = deque()
        self.error: str | None = None  # finding the cuts failed: the file ends there

    def open(self, parser: ParallelParser, kind: str | None, received_at: str) -> bool:
        """Start cutting a plain regular JSON Lines file, or reading another file's items;
        False for anything ``parse`` must read."""
        source = str(self.path)
        if not self.jsonl:
            if _small(self.path):
                self.tasks = iter([partial(parser.submit_file, source, kind, received_at)])
            else:
                self.tasks = _item_tasks(parser, source, kind, received_at)
            return True
        try:
            handle = self.path.open("rb")
        except OSError:
            return False
        try:
            plain = handle.peek(2)[:2] != GZIP_MAGIC and stat.S_ISREG(
                os.fstat(handle.fileno()).st_mode
            )
        except OSError:
            plain = False
        if not plain:
            handle.close()
            return False
        self.handle = handle
        self.tasks = (
            partial(parser.submit_range, source, start, end, kind, received_at)
            for start, end in ranges(handle, parser.block_bytes)
        )
        return True

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
        self.handle = self.tasks = None


def _small(path: Path) -> bool:
    """A regular file a worker may read and parse whole: :data:`WHOLE_FILE_BYTES` at most, not
    gzip (a small one may hold a large document; its items go in chunks, bounded)."""
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or handle.read(2) == GZIP_MAGIC:
                return False
    except OSError:
        return False
    return info.st_size <= WHOLE_FILE_BYTES


def _item_tasks(
    parser: ParallelParser, source: str, kind: str | None, received_at: str
) -> Iterator[Callable[[], _Block]]:
    for chunk in chunks(iter_records(source, spans=True), ITEMS_PER_TASK):
        yield partial(parser.submit_items, chunk, kind, received_at)


def parse_files(
    parser: ParallelParser,
    paths: list[Path],
    kind: str | None,
    received_at: str,
    jsonl: Sequence[bool] | None = None,
) -> Iterator[tuple[Path, Iterator[Parsed | ReadError]]]:
    """``(path, its blocks)`` for each of ``paths`` in turn (module doc): consume each file's
    blocks before asking for the next file. ``jsonl``: which paths are JSON Lines
    (``parallel.splittable``; all by default)."""
    kinds = [True] * len(paths) if jsonl is None else list(jsonl)
    files = [_File(p, j) for p, j in zip(paths, kinds, strict=True)]
    limit = 2 * parser.workers
    cursor = 0  # the file whose blocks are being submitted
    barrier = False  # files[cursor] is left to parser.parse
    in_flight = 0

    def top_up() -> None:
        nonlocal cursor, barrier, in_flight
        while in_flight < limit and cursor < len(files) and not barrier:
            f = files[cursor]
            if f.tasks is None and not f.open(parser, kind, received_at):
                barrier = True
                return
            assert f.tasks is not None
            try:
                task = next(f.tasks)
            except StopIteration:
                f.close()
                cursor += 1
                continue
            except OSError as exc:  # what was cut before is good
                f.error = str(exc)
                f.close()
                cursor += 1
                continue
            f.pending.append(task())
            in_flight += 1

    def blocks(i: int) -> Iterator[Parsed | ReadError]:
        nonlocal cursor, barrier, in_flight
        f = files[i]
        if cursor < i:  # an earlier file's blocks were left unread: this one's would be lost
            raise RuntimeError(f"{f.path}: the files before it were not read to their end")
        top_up()
        if cursor == i and barrier:
            barrier = False
            cursor += 1
            yield from parser.parse(f.path, kind, received_at)
            return
        lines = 0
        failed: str | None = None
        while f.pending or cursor == i:
            if not f.pending:
                top_up()
                continue
            future = f.pending.popleft()
            in_flight -= 1
            count, parsed, error = parser.result(future)
            top_up()
            if error is not None:  # the file ends with this block
                failed = error
                for later in f.pending:
                    later.cancel()
                in_flight -= len(f.pending)
                f.pending.clear()
                if cursor == i:
                    f.close()
                    cursor += 1
                yield parsed
                break
            shift_lines(parsed, lines)
            lines += count
            yield parsed
        failed = failed or f.error
        if failed is not None:
            yield ReadError(str(f.path), 0, f"cannot read further: {failed}")

    try:
        for i, f in enumerate(files):
            yield f.path, blocks(i)
    finally:
        for f in files:
            for future in f.pending:
                future.cancel()
            f.close()
