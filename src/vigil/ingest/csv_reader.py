"""CSV exports (Log Analytics, the portal) → records: the header names the cells.

``line`` is the physical line where a row starts (cells may contain newlines). Lines end at
``\n`` (LF or CRLF); until a file's first LF, a lone ``\r`` ends a line too (classic Mac
exports have no LF at all), so a ``\r`` inside a quoted cell, after a header that ends in LF or
CRLF, does not start a line. Cells stay strings (JSON text included); a header's `` [UTC]``
suffix (portal export) is dropped.

The portal writes `` [Local Time]`` instead when its display time zone is the browser's: those
times are in a zone the file does not name, so each row of such a file is rejected, naming the
column, rather than stored hours off.

Slash dates (``8/2/2021, 1:29:25.983 PM``, the portal's display form) are month first in US
English and day first in most other locales (``02/08/2021, 13:29:25``), and a file says which
only through a date whose day is past 12. So a file's order is decided by the first time cell
(``TIME_COLUMNS``, or a header the portal marks `` [UTC]``; never another column, whose text an
app's name or a user agent may set) of that form that tells: a day-first date (first number past
12) makes every row of the file read day first (``HINT_DAY_FIRST``), a month-first one (second
number past 12) month first, and a later date of the other order is rejected, saying so. Rows wait
(in memory, at most ``UNDECIDED_MAX`` rows and ``UNDECIDED_BYTES`` of text) until a cell tells; a
file that never does (every day of it 12 or less) reads month first, with a warning naming the
file and a date whose order it could not tell.

A file is read as UTF-8 (a BOM or none), as Log Analytics and the portal write it. Excel saves
"CSV (Comma delimited)" in the system's ANSI code page instead, Windows-1252 in the West: a row
that is not UTF-8, in a file whose earlier rows held nothing but ASCII, makes the rest of the
file read as Windows-1252 (:class:`Encoding`), with a warning naming the file and the line; a
file that showed UTF-8 (a valid non-ASCII character) rejects such a row, as before, and so
does a row with a byte that Windows-1252 leaves undefined.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import replace

from vigil.ingest.items import Item, RawRecord, ReadError, excerpt_of
from vigil.leaks.redact import MARK
from vigil.normalize.timestamps import HINT_DAY_FIRST

HINT_CSV = "csv"
LOCAL_TIME = " [local time]"
_CSV_FIELD_MAX = 256 * 1024 * 1024
#: Rows, and bytes of their text, held while no date has told the file's date order (module doc).
UNDECIDED_MAX = 100_000
UNDECIDED_BYTES = 64 << 20
#: The columns whose slash dates tell a file's date order (case-insensitive), beside any header
#: the portal marks `` [UTC]``: the times the normalizers read.
TIME_COLUMNS = frozenset({"timegenerated", "createddatetime", "activitydatetime"})
#: A cell in the portal's display form: ``D/M/YYYY`` or ``M/D/YYYY``, then a time.
_SLASH_DATE = re.compile(r"\s*([0-9]{1,2})/([0-9]{1,2})/[0-9]{4}(?:,\s*|\s+)[0-9]{1,2}:[0-9]{2}")

log = logging.getLogger(__name__)


class DateOrder:
    """A CSV file's date order, from the slash dates of its cells (module doc)."""

    def __init__(self) -> None:
        self.day_first = self.month_first = False
        self.ambiguous: str | None = None  # a date of either order, for the warning
        self.columns: tuple[str, ...] = ()  # the time columns (names as the records have them)

    def look(self, cells: dict[str, str]) -> None:
        for column in self.columns:
            cell = cells.get(column) or ""
            m = _SLASH_DATE.match(cell)
            if m is None:
                continue
            first, second = int(m[1]), int(m[2])
            if first > 12 >= second:
                self.day_first = True
            elif second > 12 >= first:
                self.month_first = True
            elif first != second and self.ambiguous is None:
                self.ambiguous = cell.strip()

    @property
    def decided(self) -> bool:
        return self.day_first or self.month_first

    @property
    def hint(self) -> str:
        return HINT_DAY_FIRST if self.day_first and not self.month_first else HINT_CSV


def read_csv(stream: io.BufferedReader, source: str, position: list[int]) -> Iterator[Item]:
    """The rows of ``stream`` after its header, as records (``position[0]``: the last line read)."""
    order = DateOrder()
    held: list[Item] = []  # items waiting for the file's date order, in input order
    size = 0  # of the rows held
    try:
        for item in _read_rows(stream, source, position, order):
            if isinstance(item, ReadError):
                if held:
                    held.append(item)
                else:
                    yield item
                continue
            if not order.decided:
                order.look(item.data)
                held.append(item)
                size += sum(len(cell) for cell in item.data.values())
                if not order.decided and len(held) < UNDECIDED_MAX and size < UNDECIDED_BYTES:
                    continue
            if held:
                yield from _flush(held, order, source)
                size = 0
            else:
                yield _ordered(item, order)
    except Exception:  # a read error ends the file: what was read before it is still kept
        yield from _flush(held, order, source)
        raise
    yield from _flush(held, order, source)


def _flush(held: list[Item], order: DateOrder, source: str) -> Iterator[Item]:
    """The held items, read in the order the file's dates told, or month first."""
    if not held:
        return
    if not order.decided:
        _undecided(order, source, sum(1 for i in held if isinstance(i, RawRecord)))
        order.month_first = True
    items = list(held)
    held.clear()
    for item in items:
        yield item if isinstance(item, ReadError) else _ordered(item, order)


def _ordered(item: RawRecord, order: DateOrder) -> RawRecord:
    return item if order.hint == HINT_CSV else replace(item, shape_hint=order.hint)


class Encoding:
    """A CSV file's text encoding, from its rows (module doc): UTF-8 until a row tells. A file
    that opens with a UTF-8 byte-order mark (Excel's "CSV UTF-8") is UTF-8 throughout."""

    def __init__(self, source: str, *, bom: bool = False) -> None:
        self.source = source
        #: None: only ASCII so far; True: Windows-1252 (from the first row not UTF-8); False: UTF-8
        self.legacy: bool | None = False if bom else None

    def row(self, row: list[str], joined: str, line: int) -> list[str] | str:
        """``row`` (cells decoded as UTF-8, bad bytes as surrogates) as text, or why it cannot
        be: not UTF-8 in a UTF-8 file, or a byte Windows-1252 leaves undefined in one of it."""
        if joined.isascii():
            return row
        try:  # in C: a scan in Python cost tens of µs a row of a UTF-8 file with accents
            joined.encode("utf-8")
        except UnicodeEncodeError as bad:  # a byte that was not UTF-8, kept as a surrogate
            surrogate: int | None = bad.start
        else:
            surrogate = None
        if surrogate is not None and self.legacy is False:
            return f"invalid UTF-8 near character {surrogate}"
        if surrogate is None and not self.legacy:
            self.legacy = False
            return row
        cells = []
        at = 0
        for cell in row:
            try:
                cells.append(_cp1252(cell))
            except UnicodeDecodeError as bad:
                return f"not Windows-1252 (the file's encoding) near byte {at + bad.start}"
            at += len(cell.encode("utf-8", "surrogateescape")) + 1
        if self.legacy is None:
            self.legacy = True
            log.warning(
                "%s: line %d is not UTF-8: the file is read as Windows-1252 from there (Excel's "
                "\"CSV (Comma delimited)\"); save it as \"CSV UTF-8\" if names look wrong",
                self.source, line,
            )
        return cells


def _cp1252(cell: str) -> str:
    if cell.isascii():
        return cell
    return cell.encode("utf-8", "surrogateescape").decode("cp1252")


def _read_rows(
    stream: io.BufferedReader, source: str, position: list[int], order: DateOrder
) -> Iterator[Item]:
    """The rows after the header as records whose cells are strings (``position`` as above);
    ``order.columns`` gets the time columns of the header."""
    if csv.field_size_limit() < _CSV_FIELD_MAX:
        csv.field_size_limit(_CSV_FIELD_MAX)  # process-wide; Log Analytics cells can be large
    peek = getattr(stream, "peek", None)
    encoding = Encoding(source, bom=peek is not None and peek(3)[:3] == b"\xef\xbb\xbf")
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
        decoded = encoding.row(row, joined, start)
        if isinstance(decoded, str):
            excerpt = secret if secret else excerpt_of(joined.encode("utf-8", "surrogateescape"))
            yield ReadError(source, start, decoded, excerpt)
            continue
        if decoded is not row:
            row, joined = decoded, ",".join(decoded)
        if header is None:
            header = [_column(name) for name in row]
            order.columns = tuple(
                column for name, column in zip(row, header, strict=True)
                if column.casefold() in TIME_COLUMNS or name.strip().casefold().endswith(" [utc]")
            )
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


def _undecided(order: DateOrder, source: str, rows: int) -> None:
    if order.ambiguous is not None:
        log.warning(
            "%s: dates such as %r read month first (as the portal's US English display writes "
            "them): none of the %d rows read so far has a day past 12 to tell; if the file is "
            "day first, export with ISO 8601 times",
            source, order.ambiguous, rows,
        )


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
