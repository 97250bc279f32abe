"""What a parser worker process runs (``vigil.ingest.parallel``): set-up and the parse tasks.

Each task returns what the writer stores, built here: ``_parse_block`` a block of JSON Lines the
writer read, ``_parse_range`` a byte range of a plain file the worker reads itself (``(lines,
result, read error)``), ``_parse_items`` items the writer read from a file that is not JSON Lines,
``_parse_file`` such a file read whole (``vigil.ingest.prefetch``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import threading
import time
from pathlib import Path

from vigil.enrich import Enricher, GeoIP, HostingClassifier
from vigil.ingest.parse import Parsed, chunks, parse_items, parse_jsonl
from vigil.ingest.readers import SpanItem, iter_records
from vigil.ingest.secret_runs import read_before

#: Records of a whole file parsed by a worker (``_parse_file``) kept in one raw block at most.
BATCH_ITEMS = 5000
#: Added to each worker's nice value (``vigil.ingest.parallel``); the writer keeps its own.
WORKER_NICENESS = 10

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


def _init_worker(config: EnrichConfig, parent: int) -> None:
    global _enricher
    _enricher = config.build()
    # No os.nice on this platform, or a sandbox refuses it: parse at the writer's priority.
    with contextlib.suppress(AttributeError, OSError):
        os.nice(WORKER_NICENESS)
    gc.disable()  # parsed blocks hold no cycles; see vigil.ingest.pipeline.gc_paused
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int, every: float = 0.5) -> None:
    """End this worker once the ingest that started it is gone (killed, crashed).

    A forked worker keeps its own copy of the task queue's write end open, so it never sees
    end-of-file when the parent dies and would wait forever, an orphan holding its memory.
    """
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


def _parse_block(
    source: str,
    first_line: int,
    block: bytes,
    kind: str | None,
    received_at: str,
    after_secret: bool = False,
) -> Parsed:
    assert _enricher is not None
    return parse_jsonl(
        block,
        source=source,
        first_line=first_line,
        kind=kind,
        received_at=received_at,
        enricher=_enricher,
        after_secret=after_secret,
    )


def _parse_range(
    source: str, start: int, end: int, kind: str | None, received_at: str
) -> tuple[int, Parsed, str | None]:
    """Read bytes ``[start, end)`` of a plain file and parse them: (lines, result, read error).

    Line numbers in the result count from the range's start; the writer shifts them.
    """
    assert _enricher is not None
    try:
        with Path(source).open("rb") as handle:
            after_secret = read_before(handle, start)
            handle.seek(start)
            block = handle.read(end - start)
    except OSError as exc:
        return 0, Parsed(), str(exc)
    parsed = parse_jsonl(
        block,
        source=source,
        first_line=0,
        kind=kind,
        received_at=received_at,
        enricher=_enricher,
        file_start=start == 0,
        after_secret=after_secret,
    )
    return parsed.lines, parsed, None


def _parse_items(
    items: list[SpanItem], kind: str | None, received_at: str
) -> tuple[int, Parsed, str | None]:
    """Parse items the writer read (``vigil.ingest.prefetch``): as ``_parse_range`` answers, with
    line numbers the items' own."""
    assert _enricher is not None
    parsed = parse_items(
        items, kind=kind, received_at=received_at, enricher=_enricher, keep_models=False
    )
    return 0, parsed, None


def _parse_file(source: str, kind: str | None, received_at: str) -> tuple[int, Parsed, str | None]:
    """Read and parse a whole file that is not JSON Lines (``vigil.ingest.prefetch``), as
    ``_parse_range`` answers; a raw block per :data:`BATCH_ITEMS` records."""
    assert _enricher is not None
    parsed = Parsed()
    for chunk in chunks(iter_records(source, spans=True), BATCH_ITEMS):
        parsed.extend(
            parse_items(
                chunk, kind=kind, received_at=received_at, enricher=_enricher, keep_models=False
            )
        )
    return 0, parsed, None
