"""A gzip stream that keeps every whole line it decompressed before a read error.

``gzip.GzipFile.read(n)`` (and an ``io.BufferedReader`` over it) decompresses piece by piece and
drops every piece it already has when a later one fails: a truncated or damaged file lost the
whole block (up to 4 MiB) or buffer read before the damage. :class:`GzipStream` reads one piece at
a time (``read1``), so nothing decompressed is lost, and hands out whole lines only: the bytes
after the last newline are held back until the next newline or the end of the stream. A read
error ends the stream (``read`` returns ``b""``) just after the last whole line; ``error`` then
holds it and ``tail`` the partial line after that line, for the caller to report with the number
of lines it read (``vigil.ingest.readers.stopped_early``).

A line longer than one read (no newline in ``size`` bytes) is handed out in pieces as it comes.
"""

from __future__ import annotations

import gzip
import io
import zlib
from typing import IO, Any

#: What a damaged stream raises: truncation (EOFError), bad data or CRC (zlib.error,
#: gzip.BadGzipFile, an OSError), or the file below failing.
READ_ERRORS = (OSError, EOFError, zlib.error)
#: How :func:`describe` names truncation: a file cut short, or one still being written
#: (``vigil ingest --follow`` waits for the rest of such a file instead of rejecting it).
ENDED_EARLY = "the compressed data ended early"


def describe(exc: BaseException) -> str:
    """A read error as a reject reason says it."""
    return f"{ENDED_EARLY} ({exc})" if isinstance(exc, EOFError) else str(exc)


class GzipStream(io.RawIOBase):
    """The decompressed bytes of gzip ``compressed``, in whole lines (module doc)."""

    def __init__(self, compressed: IO[bytes]) -> None:
        self._gzip = gzip.GzipFile(fileobj=compressed)
        self._held = b""
        self._done = False
        self.error: BaseException | None = None
        self.tail = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes ending at a line end (``b""`` at the end or after an error)."""
        if size is None or size < 0:
            return self.readall()
        if self._done or size == 0:
            return b""
        if len(self._held) >= size:  # a long line's rest, read in smaller pieces
            data, self._held = self._held[:size], self._held[size:]
            return data
        pieces = [self._held] if self._held else []
        got = len(self._held)
        try:
            while got < size and (piece := self._gzip.read1(size - got)):
                pieces.append(piece)
                got += len(piece)
        except READ_ERRORS as exc:
            self._done, self.error = True, exc
            data, self.tail = _whole_lines(pieces)
            return data
        if got < size:  # the end of the stream: the last line needs no newline
            self._done, self._held = True, b""
            return b"".join(pieces)
        data, self._held = _whole_lines(pieces)
        if not data:  # a line longer than ``size``: hand it out as it comes
            data, self._held = self._held, b""
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._gzip.close()
        super().close()


def _whole_lines(pieces: list[bytes]) -> tuple[bytes, bytes]:
    """``pieces`` joined, cut after the last newline: (whole lines, the rest), copied once."""
    for n in range(len(pieces) - 1, -1, -1):
        cut = pieces[n].rfind(b"\n") + 1
        if cut:
            piece = pieces[n]
            rest = b"".join([piece[cut:], *pieces[n + 1 :]])
            if cut < len(piece):
                pieces[n] = piece[:cut]
            return b"".join(pieces[: n + 1]), rest
    return b"", b"".join(pieces)
