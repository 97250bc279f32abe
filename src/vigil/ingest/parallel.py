"""Parallel parsing for large JSON Lines inputs: worker processes do the per-record work.

The writer (this process) reads a file in blocks of whole lines and hands each block to a pool of
worker processes, which decode, normalize and enrich the records and build the rows
(``vigil.ingest.parse``). Results come back in input order; at most ``2 × workers`` blocks are in
flight, so memory stays flat whatever the file's size. Only JSON Lines (plain or gzip) is split
this way; other formats are parsed in-process.
"""

from __future__ import annotations

import dataclasses
import gc
import gzip
import io
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import IO

from vigil.enrich import Enricher, GeoIP, HostingClassifier
from vigil.ingest.parse import Parsed, parse_items
from vigil.ingest.readers import DEFAULT_MAX_DOCUMENT_BYTES, ReadError, detect_format, read_stream

BLOCK_BYTES = 4 << 20
_HEAD = 65_536

_enricher: Enricher | None = None


@dataclasses.dataclass(frozen=True)
class EnrichConfig:
    country_mmdb: str | None = None
    asn_mmdb: str | None = None
    extra_asns: tuple[int, ...] = ()
    extra_cidrs: tuple[str, ...] = ()

    def build(self) -> Enricher:
        return Enricher(
            GeoIP(country_mmdb=self.country_mmdb, asn_mmdb=self.asn_mmdb),
            HostingClassifier(extra_asns=self.extra_asns, extra_cidrs=self.extra_cidrs),
        )


def _init_worker(config: EnrichConfig) -> None:
    global _enricher
    _enricher = config.build()
    gc.disable()  # parsed blocks hold no cycles; see vigil.ingest.pipeline.gc_paused


def _parse_block(
    source: str, first_line: int, block: bytes, kind: str | None, received_at: str
) -> Parsed:
    assert _enricher is not None
    items = read_stream(io.BytesIO(block), source, DEFAULT_MAX_DOCUMENT_BYTES)
    shifted = (dataclasses.replace(i, line=i.line + first_line) if i.line else i for i in items)
    return parse_items(
        shifted, kind=kind, received_at=received_at, enricher=_enricher, keep_models=False
    )


def splittable(path: Path) -> bool:
    """True for JSON Lines files (plain or gzip), which can be cut at line ends."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD)
            if head[:2] == b"\x1f\x8b":
                handle.seek(0)
                with gzip.GzipFile(fileobj=handle) as gz:
                    head = gz.read(_HEAD)
    except (OSError, EOFError, gzip.BadGzipFile):
        return False
    return detect_format(head) == "jsonl"


def blocks(stream: IO[bytes], size: int = BLOCK_BYTES) -> Iterator[tuple[int, bytes]]:
    """(lines before the block, block) pieces of ``stream`` that end at a line end."""
    lines = 0
    rest = b""
    while chunk := stream.read(size):
        data = rest + chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            rest = data  # a line longer than one block: keep reading
            continue
        block, rest = data[:cut], data[cut:]
        yield lines, block
        lines += block.count(b"\n")
    if rest:
        yield lines, rest


class ParallelParser:
    """A pool of parser processes; ``parse(path)`` yields the file's ``Parsed`` blocks in order."""

    def __init__(self, workers: int, config: EnrichConfig) -> None:
        context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        self._workers = workers
        self._pool = ProcessPoolExecutor(
            workers, mp_context=context, initializer=_init_worker, initargs=(config,)
        )

    def parse(self, path: Path, kind: str | None, received_at: str) -> Iterator[Parsed | ReadError]:
        source = str(path)
        try:
            handle = path.open("rb")
        except OSError as exc:
            yield ReadError(source, 0, f"cannot open: {exc.strerror or exc}")
            return
        with handle:
            stream: IO[bytes] = handle
            if handle.read(2) == b"\x1f\x8b":
                handle.seek(0)
                stream = gzip.GzipFile(fileobj=handle)  # type: ignore[assignment]
            else:
                handle.seek(0)
            pending: deque[Future[Parsed]] = deque()
            try:
                for first_line, block in blocks(stream):
                    pending.append(
                        self._pool.submit(
                            _parse_block, source, first_line, block, kind, received_at
                        )
                    )
                    if len(pending) >= 2 * self._workers:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                while pending:  # what was read before the failure is good
                    yield pending.popleft().result()
                yield ReadError(source, 0, f"cannot read further: {exc}")

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)
