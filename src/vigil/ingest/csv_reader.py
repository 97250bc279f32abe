"""CSV exports (Log Analytics, the portal) → records: the header names the cells.

``line`` is the physical line where a row starts (cells may contain newlines). Lines end at
``\n`` (LF or CRLF); until a file's first LF, a lone ``\r`` ends a line too (classic Mac
exports have no LF at all), so a ``\r`` inside a quoted cell, after a header that ends in LF or
CRLF, does not start a line. Cells stay strings (JSON text included); a header's `` [UTC]``
suffix (portal export) is dropped.

The portal writes `` [Local Time]`` instead when its display time zone is the browser's: those
times are in a zone the file does not name, so each row of such a file is rejected, naming the
column, rather than stored hours off.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from vigil.ingest.items import Item, RawRecord, ReadError, excerpt_of
from vigil.leaks.redact import MARK

HINT_CSV = "csv"
LOCAL_TIME = " [local time]"
_CSV_FIELD_MAX = 256 * 1024 * 1024


def read_csv(stream: io.BufferedReader, source: str, position: list[int]) -> Iterator[Item]:
    """The rows of ``stream`` after its header, as records (``position[0]``: the last line read)."""
    if csv.field_size_limit() < _CSV_FIELD_MAX:
        csv.field_size_limit(_CSV_FIELD_MAX)  # process-wide; Log Analytics cells can be large
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    lines = _PhysicalLines(text)
    reader = csv.reader(lines)
    header: list[str] | None = None
    local: str | None = None  # a header naming local times: every row is rejected
    secret = b""  # what a bad row keeps instead of its text when the header has a secret column
    done = pieces = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield ReadError(source, done + 1, f"invalid CSV: {exc}")
            if lines.pieces == pieces:  # nothing more was consumed: it would fail again
                break
            done, pieces = lines.number, lines.pieces
            continue
        start, done, pieces = done + 1, lines.number, lines.pieces
        position[0] = done
        if not row or row == [""]:
            continue
        joined = ",".join(row)
        try:
            joined.encode("utf-8")
        except UnicodeEncodeError as bad:
            excerpt = secret if secret else excerpt_of(joined.encode("utf-8", "surrogateescape"))
            yield ReadError(source, start, f"invalid UTF-8 near character {bad.start}", excerpt)
            continue
        if header is None:
            header = [_column(name) for name in row]
            local = next((name.strip() for name in row if _is_local(name)), None)
            # a row that cannot become a record is not searched by member: its secret cell
            # may be anywhere in it, so none of it is kept
            secret = MARK if any(h.casefold() == "secrettext" for h in header) else b""
            continue
        if local is not None:
            reason = (
                f"column {local!r} holds times in the exporting browser's time zone, which the "
                "file does not name: export with the display time zone set to UTC"
            )
            yield ReadError(source, start, reason, secret or excerpt_of(joined.encode()))
            continue
        if len(row) != len(header):
            reason = f"row has {len(row)} cells, the header has {len(header)}"
            yield ReadError(source, start, reason, secret or excerpt_of(joined.encode()))
            continue
        yield RawRecord(source, start, dict(zip(header, row, strict=True)), HINT_CSV)


def _is_local(name: str) -> bool:
    return name.strip().casefold().endswith(LOCAL_TIME)


def _column(name: str) -> str:
    """``TimeGenerated [UTC]`` (portal export) → ``TimeGenerated``."""
    name = name.strip()
    if name.endswith("]") and " [" in name:
        return name[: name.rindex(" [")]
    return name


class _PhysicalLines:
    """The pieces a text stream with universal newlines gives (``\r``, ``\n`` or ``\r\n``
    ended), counting physical lines as the module docstring says."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self._text = text
        self._lf_seen = False
        self.number = 0  # physical lines consumed
        self.pieces = 0  # pieces handed out

    def __iter__(self) -> _PhysicalLines:
        return self

    def __next__(self) -> str:
        piece = next(self._text)
        self.pieces += 1
        if piece.endswith("\n"):
            self.number += 1
            self._lf_seen = True
        elif piece.endswith("\r") and not self._lf_seen:  # no LF so far: a CR-only file
            self.number += 1
        return piece
