"""``vigil ingest --follow``: tail growing files and pick up new files in folders.

Contract
--------
* JSON Lines files (Graph dumps, diagnostic-settings archives ``PT1H.json``) are read
  incrementally: each poll reads the complete lines appended since the checkpoint, so a record is
  handled within one poll interval of being written. A line still being written (no newline yet)
  waits for the next poll.
* Other files (gzip, whole JSON documents, CSV) are read whole once their size and modification
  time have stayed the same for one poll; a later change reads them again (re-reading adds nothing
  twice).
* Checkpoints (offset and line per file) are written after the records they cover have been
  committed, so a crash can only re-read records, never skip them; a restart resumes from them. A
  file that shrank was replaced or truncated: it is read again from the start.
* SIGINT / SIGTERM stop it after the batch in hand.
"""

from __future__ import annotations

import io
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from vigil.ingest.pipeline import Ingestor
from vigil.ingest.readers import (
    GZIP_MAGIC,
    detect_format,
    expand,
    read_lines,
    read_stream,
)
from vigil.ingest.summary import IngestSummary
from vigil.store.checkpoints import Checkpoint, CheckpointRepository

_HEAD = 65_536
_MAX_CHUNK = 64 << 20


def _is_appendable(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(_HEAD)
    if head[:2] == GZIP_MAGIC:
        return False
    return detect_format(head) == "jsonl"


class Follower:
    def __init__(self, ingestor: Ingestor, paths: list[str], kind: str | None) -> None:
        self._ingestor = ingestor
        self._paths = paths
        self._kind = kind
        self._checkpoints = CheckpointRepository(ingestor.store.engine)
        self._pending: dict[str, tuple[int, int]] = {}  # whole-read files: last (size, mtime)

    def files(self) -> list[Path]:
        found: dict[str, Path] = {}
        for p in self._paths:
            for path in expand(p):
                if isinstance(path, Path):
                    found.setdefault(str(path), path)
        return [found[k] for k in sorted(found)]

    def poll(self, summary: IngestSummary) -> None:
        """One pass over every file: read what is new."""
        for path in self.files():
            try:
                stat = path.stat()
                appendable = stat.st_size > 0 and _is_appendable(path)
            except OSError:
                continue  # vanished or unreadable right now; look again next poll
            cp = self._checkpoints.get(str(path))
            if appendable:
                self._tail(path, stat.st_size, stat.st_mtime_ns, cp, summary)
            else:
                self._whole(path, stat.st_size, stat.st_mtime_ns, cp, summary)

    def _tail(
        self, path: Path, size: int, mtime: int, cp: Checkpoint | None, summary: IngestSummary
    ) -> None:
        offset, line = (cp.offset, cp.line) if cp is not None and cp.offset <= size else (0, 0)
        if offset >= size:
            return
        with path.open("rb") as handle:
            handle.seek(offset)
            chunk = handle.read(min(size - offset, _MAX_CHUNK))
        end = chunk.rfind(b"\n") + 1
        if end == 0:
            return  # only a partial line so far
        chunk = chunk[:end]
        # JSON Lines, as the file's start says: the appended data is not a new file to detect.
        items = read_lines(
            io.BytesIO(chunk), str(path), _MAX_CHUNK, first_line=line, file_start=offset == 0
        )
        self._ingestor.ingest_items(items, summary, self._kind, str(path))
        self._save(Checkpoint(str(path), offset + end, line + chunk.count(b"\n"), size, mtime))

    def _whole(
        self, path: Path, size: int, mtime: int, cp: Checkpoint | None, summary: IngestSummary
    ) -> None:
        key = str(path)
        if cp is not None and (cp.size, cp.mtime_ns) == (size, mtime):
            return  # read already, unchanged since
        if self._pending.get(key) != (size, mtime):
            self._pending[key] = (size, mtime)  # still changing, or first seen: wait one poll
            return
        with path.open("rb") as handle:
            items = read_stream(handle, key, 512 << 20)
            self._ingestor.ingest_items(items, summary, self._kind, key)
        self._pending.pop(key, None)
        self._save(Checkpoint(key, size, 0, size, mtime))

    def _save(self, cp: Checkpoint) -> None:
        self._checkpoints.set(cp, self._ingestor.clock())


def follow(
    ingestor: Ingestor,
    paths: list[str],
    kind: str | None,
    *,
    poll_seconds: float = 1.0,
    stop: threading.Event | None = None,
    max_polls: int | None = None,
) -> IngestSummary:
    """Poll ``paths`` until ``stop`` is set (or SIGINT/SIGTERM, or ``max_polls`` passes)."""
    stop = stop or threading.Event()
    ingestor.repair_indexes()  # those a deferred load that died left missing
    restore = _stop_on_signals(stop)
    follower = Follower(ingestor, paths, kind)
    summary = IngestSummary(sources=len(paths))
    polls = 0
    started = time.perf_counter()
    try:
        while not stop.is_set():
            follower.poll(summary)
            polls += 1
            if max_polls is not None and polls >= max_polls:
                break
            stop.wait(poll_seconds)
    finally:
        restore()
        summary.seconds = time.perf_counter() - started
    return summary


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in previous:
        signal.signal(s, lambda *_: stop.set())

    def restore() -> None:
        for s, handler in previous.items():
            signal.signal(s, handler)

    return restore


__all__ = ["Follower", "follow"]
