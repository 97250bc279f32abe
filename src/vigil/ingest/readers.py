"""Streaming file readers: paths, folders, globs, gzip and stdin → raw records with their location.

``iter_records(path_or_dash)`` yields :class:`RawRecord` (a JSON object plus where it came from)
or :class:`ReadError` (what could not be read, where, and why). It never raises on bad input.

Inputs
    A file; a folder (recursive, hidden entries skipped, files ending in ``.json``, ``.jsonl``,
    ``.ndjson``, ``.csv``, optionally ``.gz``, in sorted path order); a glob (``**`` allowed,
    sorted); ``-`` for standard input (source ``<stdin>``). Gzip is recognised by its magic bytes;
    a truncated or damaged one gives every whole line before the damage, then a ReadError on the
    next line ("cannot read further after line N: ...", the partial line as its text);
    text is UTF-8 (BOM optional) or UTF-16 with a BOM (Windows PowerShell 5.1's ``Out-File``).
    Lines longer than ``max_document_bytes`` are skipped with a ReadError, never buffered whole.

Formats (chosen by :func:`detect_format` from the first bytes)
    * JSON Lines: one JSON value per physical line, decoded line by line from binary (a 1 GB file
      is never loaded whole). ``line`` is the physical line number.
    * A whole JSON document (a pretty-printed object, a page with one record per line, or an
      array; told from JSON Lines by a first line that is not a whole JSON value, see
      :func:`detect_format`): loaded whole, rejected above ``max_document_bytes`` (default
      512 MiB). ``line`` is the record's index + 1 within its collection (1 for a single
      object); for a syntax error, the physical line of the error. Whole values one after
      another (``jq '.value[]'``, appended ``az rest`` outputs) are read one by one
      (:mod:`vigil.ingest.json_sequence`); ``line`` is then the line each value starts on.
      Asked for ``spans`` (as ``vigil ingest`` does), a Graph page, ``{"records": [...]}`` or an
      array, as a document or on a JSON line, comes as its items' bytes (:class:`RawSpan`, same
      ``line``), not decoded (:mod:`vigil.ingest.spans`).
    * CSV with a header row (Log Analytics / portal exports). ``line`` is the physical line where
      the row starts (cells may contain newlines). Cells stay strings (JSON text included); a
      header's `` [UTC]`` suffix (portal export) is dropped (:mod:`vigil.ingest.csv_reader`).

Collections are unwrapped everywhere (Graph pages, diagnostic ``records``, Log Analytics query
responses, arrays: :mod:`vigil.ingest.unwrap`). Items unwrapped from one JSON Lines line share
that line's number; in a document, ``line`` is an item's position in its collection (rows count
across a query response's tables). CSV rows have hint ``csv``.
"""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson

from vigil.ingest import json_sequence
from vigil.ingest.csv_reader import HINT_CSV, read_csv
from vigil.ingest.gzip_stream import READ_ERRORS, GzipStream, describe
from vigil.ingest.items import (
    ERROR_TEXT_MAX,
    Item,
    RawRecord,
    RawSpan,
    ReadError,
    SpanItem,
    excerpt_of,
)
from vigil.ingest.secret_runs import holds_secret
from vigil.ingest.spans import document_spans, may_hold_collection
from vigil.ingest.unwrap import HINT_DIAGNOSTIC, HINT_GRAPH, is_record, unwrap
from vigil.ingest.walk import LOG_SUFFIXES, expand
from vigil.leaks.redact import MARK, redact_cut, redact_slice

DEFAULT_MAX_DOCUMENT_BYTES = 512 * 1024 * 1024
#: Suffixes a folder or glob walk picks up (an explicitly named file is always read).
STDIN = "<stdin>"

GZIP_MAGIC = b"\x1f\x8b"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
#: UTF-8 byte order mark, allowed at the start of a file.
BOM = b"\xef\xbb\xbf"
_HEAD = 65_536
_SKIP_CHUNK = 1 << 20
#: orjson's message for input that ends inside a value (a valid start of a JSON text).
_END_OF_DATA = "unexpected end of data"


def iter_records(
    path_or_dash: str,
    *,
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES,
    stdin: BinaryIO | None = None,
    spans: bool = False,
) -> Iterator[SpanItem]:
    """Yield every record (or read error) of a file, folder, glob or ``-`` (standard input);
    ``spans``: the items of a JSON document's collection as :class:`RawSpan` when it can
    (``vigil.ingest.spans``)."""
    if path_or_dash == "-":
        yield from read_stream(stdin or sys.stdin.buffer, STDIN, max_document_bytes, spans)
        return
    for path in expand(path_or_dash):
        if isinstance(path, ReadError):
            yield path
            continue
        try:
            handle = path.open("rb")
        except OSError as exc:
            yield ReadError(str(path), 0, f"cannot open: {exc.strerror or exc}")
            continue
        with handle:
            yield from read_stream(handle, str(path), max_document_bytes, spans)


def detect_format(head: bytes) -> str:
    """``jsonl``, ``json`` (whole document), ``csv``, ``empty`` or ``unknown`` from the first bytes.

    ``[`` → json, unless its first line is a whole JSON value and more lines follow (JSON
    Lines of arrays: each line's objects are records). ``{`` → decided by decoding the first
    line: jsonl when it is a complete JSON value (or the only line, or longer than ``head``);
    json when it is the start of one (``{"value":[`` of a page with one record per line, ``{``
    of a pretty-printed object), whatever the next line holds; jsonl when it is broken before
    its end (no document starts that way: reading lines keeps the lines after it). A JSON
    Lines file whose first line is cut short (a valid start) is detected as json:
    :func:`read_stream` reads it as lines when the document breaks right there (see
    ``_first_line_cut_short``).
    Anything else → csv when the first line is UTF-8 text with a comma, else unknown.
    """
    text = head.removeprefix(BOM).lstrip()
    if not text:
        return "empty"
    first = text[:1]
    if first == b"[":
        return "jsonl" if _array_lines(text) else "json"
    if first == b"{":
        line, newline, _ = text.partition(b"\n")
        if not newline:
            return "jsonl"
        try:
            orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            return "json" if exc.msg == _END_OF_DATA else "jsonl"
        return "jsonl"
    line = text.split(b"\n", 1)[0]
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return "unknown"
    return "csv" if b"," in line and b"\x00" not in line else "unknown"


def _array_lines(text: bytes) -> bool:
    """True when ``text`` (starting with ``[``) is JSON Lines of arrays (``jq -c '.value'`` of
    each page): its first line is a whole JSON value and another line follows. A document that
    is one array never has another non-blank line after a complete first line."""
    line, newline, rest = text.partition(b"\n")
    if not newline or not rest.strip():
        return False
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def read_stream(
    binary: BinaryIO, source: str, max_document_bytes: int, spans: bool = False
) -> Iterator[SpanItem]:
    """Read one byte stream of any supported format; never raises.

    The stream may be gzip-compressed (magic bytes) and UTF-8 (BOM optional) or UTF-16 with a
    BOM. An I/O or decompression error ends the stream with a ReadError at the next line; from a
    gzip stream every whole line before the damage is read first (:func:`stopped_early`).
    """
    position = [0]
    unzipped: GzipStream | None = None
    try:
        stream = _buffered(binary)
        if stream.peek(2)[:2] == GZIP_MAGIC:
            unzipped = GzipStream(stream)
            stream = io.BufferedReader(unzipped, _HEAD)
        if stream.peek(2)[:2] in _UTF16_BOMS:  # Windows PowerShell 5.1's Out-File default
            text = io.TextIOWrapper(stream, encoding="utf-16", errors="replace", newline="")
            stream = io.BufferedReader(_Utf8Encoder(text), _HEAD)
        fmt = detect_format(stream.peek(_HEAD)[:_HEAD])
        if fmt == "jsonl":
            yield from _read_lines(stream, source, max_document_bytes, position, spans=spans)
        elif fmt == "json":
            yield from _read_document(stream, source, max_document_bytes, position, spans)
        elif fmt == "csv":
            yield from read_csv(stream, source, position)
        elif fmt == "unknown":
            excerpt = excerpt_of(stream.peek(_HEAD)[:_HEAD])
            yield ReadError(source, 1, "not JSON, JSON Lines or CSV", excerpt)
    except READ_ERRORS as exc:
        yield ReadError(source, position[0] + 1, f"cannot read further: {describe(exc)}")
        return
    if unzipped is not None and (error := stopped_early(unzipped, source, position[0])):
        yield error


def stopped_early(stream: GzipStream, source: str, lines: int) -> ReadError | None:
    """The ReadError of a gzip stream a read error ended after ``lines`` whole lines (all of them
    read), None if it ended cleanly. It is placed on the next line, the partial one (its text).
    """
    if stream.error is None:
        return None
    reason = f"cannot read further after line {lines}: {describe(stream.error)}"
    return ReadError(source, lines + 1, reason, excerpt_of(stream.tail))


class _Utf8Encoder(io.RawIOBase):
    """A byte stream of the UTF-8 encoding of a text stream (to read UTF-16 files)."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self._text = text
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = self._text.read(_HEAD)
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8", "replace")
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _buffered(binary: BinaryIO) -> io.BufferedReader:
    if isinstance(binary, io.BufferedReader):
        return binary
    return io.BufferedReader(binary, _HEAD)  # type: ignore[arg-type]


def read_lines(
    stream: BinaryIO,
    source: str,
    max_line: int,
    *,
    first_line: int = 0,
    file_start: bool | None = None,
    after_secret: bool = False,
) -> Iterator[Item]:
    """Read JSON Lines from ``stream``, a piece of a file that starts after line ``first_line``.

    ``file_start`` (default: ``first_line == 0``) says the piece starts the file, where a UTF-8
    BOM is allowed. ``after_secret``: the lines before the piece end in a run of broken lines
    that holds a secret (``vigil.ingest.secret_runs``).
    """
    if file_start is None:
        file_start = first_line == 0
    yield from _read_lines(
        _buffered(stream), source, max_line, [0], first_line, file_start, after_secret
    )


def _read_lines(
    stream: io.BufferedReader,
    source: str,
    max_line: int,
    position: list[int],
    first_line: int = 0,
    file_start: bool = True,
    run: bool = False,
    spans: bool = False,
) -> Iterator[SpanItem]:
    loads = orjson.loads
    readline = stream.readline
    lineno = first_line
    bom_line = first_line + 1 if file_start else -1
    while raw := readline(max_line + 1):
        lineno += 1
        position[0] = lineno
        if len(raw) > max_line and not raw.endswith(b"\n"):
            excerpt = MARK if run else excerpt_of(raw)
            run = run or holds_secret(raw)
            while raw and not raw.endswith(b"\n"):
                raw = readline(_SKIP_CHUNK)
                run = run or holds_secret(raw)
            yield ReadError(source, lineno, f"line longer than {max_line} bytes", excerpt)
            continue
        if lineno == bom_line:
            raw = raw.removeprefix(BOM)
        if spans and may_hold_collection(raw):
            found = document_spans(raw, source, lineno)
            if found is not None:
                run = False
                yield from found
                continue
        try:
            value = loads(raw)
        except orjson.JSONDecodeError as exc:
            if not raw.isspace():
                excerpt = MARK if run else redact_cut(excerpt_of(raw))
                run = run or holds_secret(raw)
                yield ReadError(source, lineno, json_reason(raw, exc), excerpt)
            continue
        run = False
        if is_record(value):
            yield RawRecord(source, lineno, value, None, raw.rstrip(b"\r\n"))
        else:
            yield from unwrap(value, source, lineno, per_item_lines=False)


def read_line(line: bytes, source: str, lineno: int, *, bom: bool = False) -> Item | None:
    """The record of one JSON line, as :func:`read_lines` reads it, when the line is a plain
    object (``bom``: the line may start with a UTF-8 BOM); None for anything else (an empty or
    broken line, an array, a collection page), which :func:`read_lines` must handle."""
    if bom:
        line = line.removeprefix(BOM)
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if is_record(value):
        return RawRecord(source, lineno, value, None, line.rstrip(b"\r\n"))
    return None


def _read_document(
    stream: io.BufferedReader, source: str, limit: int, position: list[int], spans: bool
) -> Iterator[SpanItem]:
    if _file_size(stream) > limit:  # a regular file: refuse before reading it
        yield ReadError(source, 0, f"JSON document larger than {limit} bytes")
        return
    data = stream.read(limit + 1)
    if len(data) > limit:
        yield ReadError(source, 0, f"JSON document larger than {limit} bytes", excerpt_of(data))
        return
    position[0] = data.count(b"\n")  # where a read error stopped it
    found = document_spans(data.removeprefix(BOM), source) if spans else None
    if found is not None:
        yield from found
        return
    try:
        value = orjson.loads(data.removeprefix(BOM))
    except orjson.JSONDecodeError as exc:
        if _first_line_cut_short(data.removeprefix(BOM), exc):
            yield from _read_lines(
                io.BufferedReader(io.BytesIO(data)), source, limit, position, spans=spans
            )
            return
        if exc.msg == json_sequence.TRAILING:  # whole values one after another (jq, az >>)
            for item in json_sequence.values(data.removeprefix(BOM), source):
                if type(item) is ReadError:
                    yield item
                else:
                    yield from unwrap(item[1], source, item[0], per_item_lines=False)
            return
        excerpt = redact_slice(data, exc.pos - 40, exc.pos + 40)
        yield ReadError(source, exc.lineno, json_reason(data, exc), excerpt)
        return
    yield from unwrap(value, source, 1, per_item_lines=True)


def _first_line_cut_short(data: bytes, exc: orjson.JSONDecodeError) -> bool:
    """True when ``data`` (detected as json: its first line is the start of a JSON value) is
    JSON Lines whose first line was cut short: the next non-blank line starts an object (or an
    array: JSON Lines of arrays whose first line is longer than :func:`detect_format` looks) and
    the document breaks on the first line or at that value's start. A document with one record
    per line broken further on, or a pretty-printed one, stays one document with one error."""
    _, newline, rest = data.partition(b"\n")
    following = rest.lstrip()
    if not newline or not following.startswith((b"{", b"[")):
        return False
    skipped = rest[: len(rest) - len(following)]
    line = 2 + skipped.count(b"\n")
    column = len(skipped) - skipped.rfind(b"\n")  # 1-based; the whitespace before is ASCII
    return exc.lineno == 1 or (exc.lineno, exc.colno) == (line, column)


def _file_size(stream: io.BufferedReader) -> int:
    """Size of the regular file under ``stream`` (0 for pipes, gzip and in-memory streams)."""
    if not isinstance(stream.raw, io.FileIO):
        return 0
    try:
        info = os.fstat(stream.fileno())
    except OSError:
        return 0
    return info.st_size if stat.S_ISREG(info.st_mode) else 0


def json_reason(raw: bytes, exc: orjson.JSONDecodeError) -> str:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return f"invalid UTF-8 at byte {bad.start}"
    if exc.lineno > 1 and raw.count(b"\n") == 1 and raw.endswith(b"\n"):
        # a JSON line that ends early: orjson points past its newline; say where the line ended
        line = raw.rstrip(b"\r\n")
        try:
            orjson.loads(line)
        except orjson.JSONDecodeError as inner:
            exc = inner
    return f"invalid JSON: {exc.msg} (column {exc.colno})"


__all__ = [
    "BOM",
    "DEFAULT_MAX_DOCUMENT_BYTES",
    "ERROR_TEXT_MAX",
    "GZIP_MAGIC",
    "HINT_CSV",
    "HINT_DIAGNOSTIC",
    "HINT_GRAPH",
    "LOG_SUFFIXES",
    "STDIN",
    "Item",
    "RawRecord",
    "RawSpan",
    "ReadError",
    "SpanItem",
    "detect_format",
    "expand",
    "iter_records",
    "json_reason",
    "read_line",
    "read_lines",
    "read_stream",
    "stopped_early",
]
