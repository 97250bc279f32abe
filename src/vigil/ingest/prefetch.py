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
gzip file or one that cannot be opened is left to ``ParallelParser.parse`` when its turn comes;
the files after it are not started before.
"""

from __future__ import annotations

import os
import stat
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import IO

from vigil.ingest.parallel import GZIP_MAGIC, ParallelParser, ranges, shift_lines
from vigil.ingest.parse import Parsed
from vigil.ingest.readers import ReadError

_Block = Future[tuple[int, Parsed, str | None]]


class _File:
    """One file of the list: its cuts while they are submitted, its blocks in flight."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[bytes] | None = None
        self.cuts: Iterator[tuple[int, int]] | None = None
        self.pending: deque[_Block] = deque()
        self.error: str | None = None  # finding the cuts failed: the file ends there

    def open(self, block_bytes: int) -> bool:
        """Start cutting a plain regular file; False for anything ``parse`` must read."""
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
        self.handle, self.cuts = handle, ranges(handle, block_bytes)
        return True

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
        self.handle = self.cuts = None


def parse_files(
    parser: ParallelParser, paths: list[Path], kind: str | None, received_at: str
) -> Iterator[tuple[Path, Iterator[Parsed | ReadError]]]:
    """``(path, its blocks)`` for each of ``paths`` in turn (module doc): consume each file's
    blocks before asking for the next file."""
    files = [_File(p) for p in paths]
    limit = 2 * parser.workers
    cursor = 0  # the file whose blocks are being submitted
    barrier = False  # files[cursor] is left to parser.parse
    in_flight = 0

    def top_up() -> None:
        nonlocal cursor, barrier, in_flight
        while in_flight < limit and cursor < len(files) and not barrier:
            f = files[cursor]
            if f.cuts is None and not f.open(parser.block_bytes):
                barrier = True
                return
            assert f.cuts is not None
            try:
                start, end = next(f.cuts)
            except StopIteration:
                f.close()
                cursor += 1
                continue
            except OSError as exc:  # what was cut before is good
                f.error = str(exc)
                f.close()
                cursor += 1
                continue
            source = str(f.path)
            f.pending.append(parser.submit_range(source, start, end, kind, received_at))
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
