"""Parallel parsing for large JSON Lines inputs: worker processes do the per-record work.

The writer (this process) cuts a file into blocks of whole lines and hands each block to a pool of
worker processes (for a plain file only its offsets: each worker reads its own block), which
decode, normalize and enrich the records, build the rows and compress the raw records
(``vigil.ingest.parse.parse_jsonl``). Results come back in input order; at most ``2 × workers``
blocks are in flight, so memory stays flat whatever the file's size. Only JSON Lines (plain or
gzip) is split this way. Other files (JSON documents, CSV) go to the workers whole when small
(:meth:`ParallelParser.submit_file`), else as chunks of the items this process read
(:meth:`ParallelParser.submit_items`; ``vigil.ingest.prefetch``).

Workers run at a lower CPU priority than the writer (:data:`WORKER_NICENESS`). The writer is the
pipeline's one serial stage: with two workers and the writer on two cores, fair sharing gave it
two thirds of a core, and its inserts (and inline detectors) set the pace. Niced workers take
what the writer leaves; they still get every idle cycle, and a worker is never starved, since the
writer waits for their results.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import multiprocessing
import os
import stat
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import IO, Any, TypeVar

from vigil.enrich import Enricher
from vigil.ingest.gzip_stream import READ_ERRORS, GzipStream, describe
from vigil.ingest.parse import Parsed, parse_jsonl
from vigil.ingest.readers import (
    GZIP_MAGIC,
    ReadError,
    SpanItem,
    detect_format,
    stopped_early,
)
from vigil.ingest.secret_runs import RUN_BACK_BYTES, run_before
from vigil.ingest.workers import (
    WORKER_NICENESS as WORKER_NICENESS,  # the tests' and the README's name for it
)
from vigil.ingest.workers import (
    EnrichConfig,
    _init_worker,
    _parse_block,
    _parse_file,
    _parse_items,
    _parse_range,
)

BLOCK_BYTES = 4 << 20
_HEAD = 65_536
#: How often the writer, waiting for a block, checks that every worker is alive (``_result``).
WATCH_SECONDS = 0.5

_R = TypeVar("_R")

def ranges(handle: IO[bytes], size: int = BLOCK_BYTES) -> Iterator[tuple[int, int]]:
    """``[start, end)`` pieces of a seekable file that end at a line end (or the file's end)."""
    total = handle.seek(0, os.SEEK_END)
    start = 0
    while start < total:
        end = min(start + size, total)
        while end < total:  # move the cut to just after the next newline
            handle.seek(end)
            window = handle.read(_HEAD)
            cut = window.find(b"\n")
            if cut >= 0:
                end += cut + 1
                break
            end += len(window)
        yield start, end
        start = end


def splittable(path: Path) -> bool:
    """True for regular JSON Lines files (plain or gzip), which can be cut at line ends.

    Pipes and other special files are read once, in-process: peeking at them would consume them.
    """
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return False
        with path.open("rb") as handle:
            head = handle.read(_HEAD)
            if head[:2] == GZIP_MAGIC:
                handle.seek(0)
                with GzipStream(handle) as gz:  # a damaged file: its whole lines decide
                    head = gz.read(_HEAD)
    except READ_ERRORS:
        return False
    return detect_format(head) == "jsonl"


def blocks(
    stream: IO[bytes], size: int = BLOCK_BYTES, lines_read: list[int] | None = None
) -> Iterator[tuple[int, bytes, bool]]:
    """(lines before the block, block, ``after_secret``) pieces of ``stream`` that end at a line
    end; ``after_secret``: :func:`vigil.ingest.secret_runs.run_before` the block.

    ``lines_read[0]`` follows the number of whole lines handed out. Read a gzip file through a
    :class:`GzipStream`: ``GzipFile.read`` drops the block it was reading when the file turns out
    damaged (``vigil.ingest.gzip_stream``).
    """
    lines = handed = 0
    rest = before = b""  # before: the end of what was handed out
    while chunk := stream.read(size):
        data = rest + chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            rest = data  # a line longer than one block: keep reading
            continue
        block, rest = data[:cut], data[cut:]
        yield lines, block, bool(handed) and run_before(before, handed <= RUN_BACK_BYTES)
        before = (before + block[-RUN_BACK_BYTES:])[-RUN_BACK_BYTES:]
        handed += len(block)
        lines += block.count(b"\n")
        if lines_read is not None:
            lines_read[0] = lines
    if rest:
        yield lines, rest, bool(handed) and run_before(before, handed <= RUN_BACK_BYTES)


def _open(path: Path) -> io.BufferedReader | ReadError:
    try:
        return path.open("rb")
    except OSError as exc:
        return ReadError(str(path), 0, f"cannot open: {exc.strerror or exc}")


def parse_in_process(
    path: Path,
    kind: str | None,
    received_at: str,
    enricher: Enricher,
    *,
    block_bytes: int = BLOCK_BYTES,
) -> Iterator[Parsed | ReadError]:
    """``ParallelParser.parse`` without workers: the same blocks and fast path, in this process."""
    source = str(path)
    handle = _open(path)
    if isinstance(handle, ReadError):
        yield handle
        return
    with handle:
        stream: IO[bytes] = handle
        if handle.peek(2)[:2] == GZIP_MAGIC:
            stream = GzipStream(handle)
        lines_read = [0]
        try:
            for first_line, block, after_secret in blocks(stream, block_bytes, lines_read):
                yield parse_jsonl(
                    block,
                    source=source,
                    first_line=first_line,
                    kind=kind,
                    received_at=received_at,
                    enricher=enricher,
                    after_secret=after_secret,
                )
        except READ_ERRORS as exc:
            yield ReadError(source, 0, f"cannot read further: {describe(exc)}")
        yield from _stopped_early(stream, source, lines_read[0])


def _stopped_early(stream: IO[bytes], source: str, lines: int) -> Iterator[ReadError]:
    if isinstance(stream, GzipStream) and (error := stopped_early(stream, source, lines)):
        yield error


def shift_lines(parsed: Parsed, lines: int) -> None:
    """Number the rejects of a piece parsed from its own start (``_parse_range``) from the
    file's start, ``lines`` lines before the piece."""
    if lines and parsed.rejects:
        parsed.rejects = [
            dataclasses.replace(r, line=r.line + lines) if r.line else r for r in parsed.rejects
        ]


class ParallelParser:
    """A pool of parser processes; ``parse(path)`` yields the file's ``Parsed`` blocks in order."""

    def __init__(
        self, workers: int, config: EnrichConfig, *, block_bytes: int = BLOCK_BYTES
    ) -> None:
        context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        self._workers = workers
        self._block_bytes = block_bytes
        self._pool = ProcessPoolExecutor(
            workers, mp_context=context, initializer=_init_worker, initargs=(config, os.getpid())
        )

    @property
    def workers(self) -> int:
        return self._workers

    @property
    def block_bytes(self) -> int:
        return self._block_bytes

    def submit_range(
        self, source: str, start: int, end: int, kind: str | None, received_at: str
    ) -> Future[tuple[int, Parsed, str | None]]:
        """Parse bytes ``[start, end)`` of the plain file ``source`` in a worker: ``(lines,
        result, read error)``, line numbers counted from ``start`` (``vigil.ingest.prefetch``)."""
        return self._pool.submit(_parse_range, source, start, end, kind, received_at)

    def submit_items(
        self, items: list[SpanItem], kind: str | None, received_at: str
    ) -> Future[tuple[int, Parsed, str | None]]:
        """Parse items read in this process (a document's, a CSV file's) in a worker, as
        :meth:`submit_range` answers (``vigil.ingest.prefetch``)."""
        return self._pool.submit(_parse_items, items, kind, received_at)

    def submit_file(
        self, source: str, kind: str | None, received_at: str
    ) -> Future[tuple[int, Parsed, str | None]]:
        """Read and parse a whole small file that is not JSON Lines in a worker, as
        :meth:`submit_range` answers (``vigil.ingest.prefetch``)."""
        return self._pool.submit(_parse_file, source, kind, received_at)

    def result(self, future: Future[_R]) -> _R:
        """The result of a block submitted here (:meth:`_result`)."""
        return self._result(future)

    def parse(self, path: Path, kind: str | None, received_at: str) -> Iterator[Parsed | ReadError]:
        source = str(path)
        handle = _open(path)
        if isinstance(handle, ReadError):
            yield handle
            return
        with handle:
            compressed = handle.peek(2)[:2] == GZIP_MAGIC
            if not compressed and stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                yield from self._parse_ranges(handle, source, kind, received_at)
                return
            stream: IO[bytes] = handle
            if compressed:
                stream = GzipStream(handle)
            lines_read = [0]
            yield from self._parse_stream(stream, source, kind, received_at, lines_read)
            yield from _stopped_early(stream, source, lines_read[0])

    def _parse_ranges(
        self, handle: IO[bytes], source: str, kind: str | None, received_at: str
    ) -> Iterator[Parsed | ReadError]:
        """A regular file: workers read their own pieces, so this process only finds the cuts.

        A piece that cannot be read ends the file there, as a read error does for a stream.
        """
        pending: deque[Future[tuple[int, Parsed, str | None]]] = deque()
        lines = 0
        failed: str | None = None

        def done() -> Parsed:
            nonlocal lines, failed
            count, parsed, error = self._result(pending.popleft())
            if error is not None:
                failed = error
                for later in pending:
                    later.cancel()
                pending.clear()
                return parsed
            shift_lines(parsed, lines)
            lines += count
            return parsed

        try:
            for start, end in ranges(handle, self._block_bytes):
                pending.append(self.submit_range(source, start, end, kind, received_at))
                if len(pending) >= 2 * self._workers:
                    yield done()
                if failed is not None:
                    break
            while pending:
                yield done()
        except OSError as exc:  # finding the cuts failed: what was read before is good
            failed = str(exc)
            while pending:
                yield done()
        if failed is not None:
            yield ReadError(source, 0, f"cannot read further: {failed}")

    def _parse_stream(
        self,
        stream: IO[bytes],
        source: str,
        kind: str | None,
        received_at: str,
        lines_read: list[int],
    ) -> Iterator[Parsed | ReadError]:
        """A compressed file: this process reads and cuts it, workers parse the pieces."""
        pending: deque[Future[Parsed]] = deque()
        try:
            for first_line, block, after in blocks(stream, self._block_bytes, lines_read):
                pending.append(
                    self._pool.submit(
                        _parse_block, source, first_line, block, kind, received_at, after
                    )
                )
                if len(pending) >= 2 * self._workers:
                    yield self._result(pending.popleft())
            while pending:
                yield self._result(pending.popleft())
        except READ_ERRORS as exc:
            while pending:  # what was read before the failure is good
                yield self._result(pending.popleft())
            yield ReadError(source, 0, f"cannot read further: {describe(exc)}")

    def _result(self, future: Future[_R]) -> _R:
        """``future.result()``, or :class:`BrokenProcessPool` once a worker has died.

        A worker killed halfway through sending its result (a block's rows, megabytes) leaves
        half a message in the pool's result pipe, which the other workers and this process keep
        open: CPython's pool then waits for the rest forever instead of finding itself broken,
        and the ingest hung (1 of 6 worker kills during a simulated-tenant ingest on PostgreSQL).
        """
        while True:
            try:
                return future.result(timeout=WATCH_SECONDS)
            except TimeoutError:
                workers: dict[int, Any] = getattr(self._pool, "_processes", None) or {}
                dead = [(pid, p.exitcode) for pid, p in list(workers.items()) if not p.is_alive()]
                if not dead:
                    continue
                self._abandon(workers)
                pid, code = dead[0]
                raise BrokenProcessPool(
                    f"parser worker {pid} ended (exit code {code}); the blocks in hand were not "
                    "stored: run the ingest again"
                ) from None

    def _abandon(self, workers: dict[int, Any]) -> None:
        """End the other workers and let the pool's result thread see the end of its pipe."""
        for process in workers.values():
            with contextlib.suppress(OSError, ValueError):
                process.kill()
        results = getattr(self._pool, "_result_queue", None)
        if results is not None:  # this process's copy of the write end: the last one left
            with contextlib.suppress(OSError):
                results._writer.close()

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)
