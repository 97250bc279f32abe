"""``vigil ingest --follow``: tail growing files and pick up new files in folders.

Contract
--------
* A file's format is decided once, from its start, and kept: JSON Lines (Graph dumps,
  diagnostic-settings archives ``PT1H.json``) are tailed, anything else is read whole. Data
  appended to a JSON Lines file is JSON Lines: a bad line is rejected alone, at its line number.
* JSON Lines files are read incrementally: each poll reads the complete lines appended since the
  checkpoint, so a record is handled within one poll interval of being written. A poll reads a
  chunk (64 MiB) of each file at most; behind by more (a backlog), the next poll starts at once. A last line
  without a newline waits until the file has settled (size and modification time unchanged for
  ``settle_seconds``, and over at least one poll), then is read. If the writer later ends that
  line (``\\n``, then more lines), it is not read again; if it extends the line instead, the
  whole line is read again (what was read was a fragment). A line longer than a read chunk
  (64 MiB) is rejected once it has ended ("line longer than ... bytes"), and tailing goes on after it.
* Other files (gzip, whole JSON documents, CSV) are read whole once their size and modification
  time have stayed the same for one poll; a later change reads them again (re-reading adds nothing
  twice). One that ends inside a value (a ``{"records": [`` document appended to until its hour
  ends) is still being written, not rejected: the values before it (of values one after another)
  are read, and the file again once it changes; a document's records are read once it is whole.
* Checkpoints (offset, line, format and file identity per path) are written after the records
  they cover have been committed, so a crash can only re-read records, never skip them; a restart
  resumes from them.
* File identity: device, inode and the SHA-256 of the file's first bytes (up to
  ``FINGERPRINT_BYTES`` of what was read). When any differs, or the file shrank below what was
  read, or a tailed file no longer has a newline just before its offset (rewritten in place
  keeping its first bytes), the path holds another file (replaced by ``mv``, rotated, truncated
  and rewritten): it is read again from the start (re-reading adds nothing twice).
  Checkpoints from before identities were kept are trusted while the file is not smaller than
  their offset and the byte before it is a newline.
* SIGINT / SIGTERM stop it after the batch in hand (saying so on stderr); a second one stops
  it at once (``KeyboardInterrupt``: what was not committed is read again next time), which a
  follower waiting behind another writer's lock (a rebuild) needs.
"""

from __future__ import annotations

import hashlib
import io
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from vigil.ingest.gzip_stream import ENDED_EARLY
from vigil.ingest.items import Item, ReadError, excerpt_of
from vigil.ingest.json_sequence import END_OF_DATA
from vigil.ingest.pipeline import Ingestor
from vigil.ingest.readers import (
    GZIP_MAGIC,
    detect_format,
    expand,
    read_lines,
    read_stream,
)
from vigil.ingest.secret_runs import read_before
from vigil.ingest.summary import IngestSummary
from vigil.paths import source_name
from vigil.store.checkpoints import Checkpoint, CheckpointRepository, FileIdentity

#: Seconds a JSON Lines file must stay unchanged before its unterminated last line is read.
DEFAULT_SETTLE_SECONDS = 2.0
#: How many of a file's first bytes its identity fingerprints.
FINGERPRINT_BYTES = 4096
LINES = "lines"
WHOLE = "whole"

_HEAD = 65_536
_MAX_CHUNK = 64 << 20
_MAX_DOCUMENT = 512 << 20


def _format(path: Path) -> str | None:
    """``lines`` or ``whole`` from the file's start; None while it has nothing to tell by."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD)
    if head[:2] == GZIP_MAGIC:
        return WHOLE
    fmt = detect_format(head)
    return None if fmt == "empty" else LINES if fmt == "jsonl" else WHOLE


def _signed(value: int) -> int:
    """A 64-bit unsigned stat field as the signed integer a BIGINT column holds."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _identity(stat: os.stat_result, head: bytes, read: int) -> FileIdentity:
    """The identity of the file ``stat`` describes; ``head`` is its start, ``read`` bytes read."""
    covered = head[: min(read, FINGERPRINT_BYTES)]
    digest = hashlib.sha256(covered).hexdigest()
    return FileIdentity(_signed(stat.st_dev), _signed(stat.st_ino), len(covered), digest)


def _same_file(path: Path, stat: os.stat_result, cp: Checkpoint) -> bool:
    """Whether ``path`` still holds the file ``cp`` was written for (module docstring)."""
    ident = cp.identity
    if ident is None:  # written before identities were kept
        if cp.offset > stat.st_size:
            return False
        if cp.line == 0 or cp.offset == 0:
            return True
        with path.open("rb") as handle:
            handle.seek(cp.offset - 1)
            return handle.read(1) == b"\n"
    if (ident.device, ident.inode) != (_signed(stat.st_dev), _signed(stat.st_ino)):
        return False
    if (stat.st_size, stat.st_mtime_ns) == (cp.size, cp.mtime_ns):
        return True  # untouched since: no need to read its start (a folder of finished files)
    if stat.st_size < max(ident.head_length, cp.offset + cp.tail if cp.format == LINES else 0):
        return False
    with path.open("rb") as handle:
        head = handle.read(ident.head_length)
        if cp.format == LINES and cp.offset > ident.head_length:
            # Read lines end at the offset; a file rewritten in place may keep its first bytes
            # (a one-line document with more records) and not this newline.
            handle.seek(cp.offset - 1)
            if handle.read(1) != b"\n":
                return False
    return hashlib.sha256(head).hexdigest() == ident.head_sha256


class Follower:
    def __init__(
        self,
        ingestor: Ingestor,
        paths: list[str],
        kind: str | None,
        *,
        settle_seconds: float = DEFAULT_SETTLE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ingestor = ingestor
        self._paths = paths
        self._kind = kind
        self._settle_seconds = settle_seconds
        self._monotonic = monotonic
        self._checkpoints = CheckpointRepository(ingestor.store.engine)
        # Files seen changing: whole-read ones, and tailed ones ending in an unterminated line.
        self._pending: dict[str, tuple[int, int, int]] = {}  # (size, mtime, inode)
        self._settling: dict[str, tuple[tuple[int, int, int], float]] = {}  # ... and since when
        # Whole-read files that ended inside a value (still being written), as they were read.
        self._unfinished: dict[str, tuple[int, int, int]] = {}

    def files(self) -> list[Path]:
        found: dict[str, Path] = {}
        for p in self._paths:
            for path in expand(p):
                if isinstance(path, Path):
                    found.setdefault(str(path), path)
        return [found[k] for k in sorted(found)]

    def poll(self, summary: IngestSummary) -> bool:
        """One pass over every file: read what is new. True when a tailed file has more than
        one read chunk took (a backlog): the next pass should not wait."""
        checkpoints = self._checkpoints.all()  # one query, not one per file
        behind = False
        for path in self.files():
            cp = checkpoints.get(source_name(path))
            try:
                stat = path.stat()
                if cp is not None and not _same_file(path, stat, cp):
                    cp = None  # another file now: read it from the start
                fmt = cp.format if cp is not None and cp.format is not None else _format(path)
            except OSError:
                continue  # vanished or unreadable right now; look again next poll
            try:
                if fmt == LINES:
                    behind |= self._tail(path, stat, cp, summary)
                else:
                    self._whole(path, stat, cp, fmt, summary)
            except (FileNotFoundError, PermissionError):
                continue  # gone or unreadable since its stat: look again next poll
        return behind

    def _tail(
        self, path: Path, stat: os.stat_result, cp: Checkpoint | None, summary: IngestSummary
    ) -> bool:
        """Read the lines appended since ``cp``, a chunk at most; True when more is waiting."""
        key, size = source_name(path), stat.st_size
        offset, line, tail = (cp.offset, cp.line, cp.tail) if cp is not None else (0, 0, 0)
        if offset + tail >= size:
            return False
        with path.open("rb") as handle:
            head = handle.read(FINGERPRINT_BYTES)
            # a run of broken lines holding a secret, ending what was read before (the rejects
            # of its next lines keep only [redacted]: vigil.ingest.secret_runs)
            after_secret = read_before(handle, offset)
            handle.seek(offset)
            chunk = handle.read(min(size - offset, _MAX_CHUNK))
        more = offset + len(chunk) < size
        skip = 0
        if tail:  # an unterminated last line was read: did the writer end it, or extend it?
            rest = chunk[tail:]
            if rest == b"\r":
                return False  # can't tell yet
            if rest.startswith((b"\n", b"\r\n")):
                skip = chunk.index(b"\n") + 1  # ended as read: read already
            # else it was a fragment of a longer line: read the whole line again
        start, first_line = offset + skip, line + (1 if skip else 0)
        body = chunk[skip:]
        end = body.rfind(b"\n") + 1
        if not end and len(chunk) == _MAX_CHUNK:  # a line longer than a chunk: reject, go on
            self._overlong(path, stat, head, start, first_line, body, summary)
            return False  # may wait for the line's end: no hurry
        partial = body[end:]
        at_eof = offset + len(chunk) == size
        read_partial = bool(partial) and at_eof and self._settled(key, stat)
        data = body if read_partial else body[:end]
        if not data and not skip:
            return False  # only a partial line so far
        if data:
            items = read_lines(
                io.BytesIO(data),
                key,
                _MAX_CHUNK,
                first_line=first_line,
                file_start=start == 0,
                after_secret=after_secret,
            )
            self._ingestor.ingest_items(items, summary, self._kind, key)
        if read_partial:
            self._settling.pop(key, None)
        new_offset, new_tail = start + end, len(partial) if read_partial else 0
        self._save(
            Checkpoint(
                key,
                new_offset,
                first_line + body.count(b"\n"),
                size,
                stat.st_mtime_ns,
                tail=new_tail,
                format=LINES,
                identity=_identity(stat, head, new_offset + new_tail),
            )
        )
        return more  # a backlog; lines were read, so reading on at once cannot spin

    def _overlong(
        self,
        path: Path,
        stat: os.stat_result,
        head: bytes,
        start: int,
        line: int,
        body: bytes,
        summary: IngestSummary,
    ) -> None:
        """The line at ``start`` is longer than a chunk (``body``, its first bytes, holds no
        newline): once it has ended, reject it as ``read_lines`` does a line over its limit and
        checkpoint past it, without buffering it; until then, wait (the lines after it were
        never read at all: each poll read the same chunk of it again)."""
        key = source_name(path)
        with path.open("rb") as handle:
            handle.seek(start + len(body))
            position = handle.tell()
            while piece := handle.read(1 << 20):
                newline = piece.find(b"\n")
                if newline >= 0:
                    position += newline + 1
                    break
                position += len(piece)
            else:
                return  # not ended yet
        error = ReadError(key, line + 1, f"line longer than {_MAX_CHUNK} bytes", excerpt_of(body))
        self._ingestor.ingest_items(iter([error]), summary, self._kind, key)
        self._save(
            Checkpoint(
                key,
                position,
                line + 1,
                stat.st_size,
                stat.st_mtime_ns,
                format=LINES,
                identity=_identity(stat, head, position),
            )
        )

    def _settled(self, key: str, stat: os.stat_result) -> bool:
        """True once ``stat``'s file has looked the same for ``settle_seconds`` and a poll."""
        seen = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
        now = self._monotonic()
        previous = self._settling.get(key)
        if previous is None or previous[0] != seen:
            self._settling[key] = (seen, now)
            return False
        return now - previous[1] >= self._settle_seconds

    def _whole(
        self,
        path: Path,
        stat: os.stat_result,
        cp: Checkpoint | None,
        fmt: str | None,
        summary: IngestSummary,
    ) -> None:
        key, size, mtime = source_name(path), stat.st_size, stat.st_mtime_ns
        if cp is not None and (cp.size, cp.mtime_ns) == (size, mtime):
            return  # read already, unchanged since
        seen = (size, mtime, stat.st_ino)
        if self._pending.get(key) != seen:
            self._pending[key] = seen  # changing, or first seen: wait a poll
            return
        if self._unfinished.get(key) == seen:
            return  # read already; it ends inside a value: wait for the rest
        unfinished: list[bool] = []
        with path.open("rb") as handle:
            # the fingerprint first: the CSV reader's text wrapper closes the handle when done
            # (reading it after failed with "seek of closed file" on every CSV file followed)
            head = handle.read(FINGERPRINT_BYTES)
            handle.seek(0)
            items = _unfinished_end_held(read_stream(handle, key, _MAX_DOCUMENT), unfinished)
            self._ingestor.ingest_items(items, summary, self._kind, key)
        if unfinished:  # no checkpoint: read again, whole, once it changes
            self._unfinished[key] = seen
            return
        self._pending.pop(key, None)
        self._unfinished.pop(key, None)
        # Nothing but blanks (no format yet): if lines follow, they are tailed from the start.
        offset = size if fmt is not None else 0
        identity = _identity(stat, head, size)
        self._save(Checkpoint(key, offset, 0, size, mtime, format=fmt, identity=identity))

    def _save(self, cp: Checkpoint) -> None:
        self._checkpoints.set(cp, self._ingestor.clock())


def _unfinished_end_held(items: Iterator[Item], unfinished: list[bool]) -> Iterator[Item]:
    """``items`` but a last ReadError saying the data ended inside a value, or a gzip file's
    compressed data ended early: a document (or the last of values one after another), a
    ``.gz`` file, still being written, not broken. ``unfinished`` gets True when one was held
    back."""
    held: ReadError | None = None
    for item in items:
        if held is not None:
            yield held
            held = None
        if isinstance(item, ReadError) and (
            END_OF_DATA in item.reason or ENDED_EARLY in item.reason
        ):
            held = item
        else:
            yield item
    if held is not None:
        unfinished.append(True)


def follow(
    ingestor: Ingestor,
    paths: list[str],
    kind: str | None,
    *,
    poll_seconds: float = 1.0,
    settle_seconds: float = DEFAULT_SETTLE_SECONDS,
    stop: threading.Event | None = None,
    max_polls: int | None = None,
) -> IngestSummary:
    """Poll ``paths`` until ``stop`` is set (or SIGINT/SIGTERM, or ``max_polls`` passes)."""
    stop = stop or threading.Event()
    restore = _stop_on_signals(stop)
    follower = Follower(ingestor, paths, kind, settle_seconds=settle_seconds)
    summary = IngestSummary(sources=len(paths))
    polls = 0
    started = time.perf_counter()
    try:
        with ingestor.beside_others():  # and builds what a deferred load that died left missing
            while not stop.is_set():
                behind = follower.poll(summary)
                polls += 1
                if max_polls is not None and polls >= max_polls:
                    break
                if not behind:  # a backlog is read chunk after chunk, without waiting
                    stop.wait(poll_seconds)
    finally:
        restore()
        summary.seconds = time.perf_counter() - started
    return summary


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def handler(_signum: int, _frame: object) -> None:
        if stop.is_set():  # the second: now (nothing committed is lost; the rest is read again)
            raise KeyboardInterrupt
        stop.set()
        print("stopping after the batch in hand (again to stop at once)", file=sys.stderr,
              flush=True)

    for s in previous:
        signal.signal(s, handler)

    def restore() -> None:
        for s, handler in previous.items():
            signal.signal(s, handler)

    return restore


__all__ = ["DEFAULT_SETTLE_SECONDS", "FINGERPRINT_BYTES", "Follower", "follow"]
