"""Concatenated JSON documents: several whole values one after another in one file.

``jq '.value[]' page.json`` prints each record as a pretty-printed object, one after another, and
``az rest ... >> dump.json`` appends one response per call: neither is one JSON document, nor JSON
Lines (each value spans many lines). :func:`values` reads such a file value by value, each with
the physical line it starts on.

A value that does not parse gives a :class:`ReadError` at the line of its error; reading resumes at
the next line that starts (column 1) with ``{`` or ``[``, where pretty-printers put the start of
the next top-level value, so one broken value does not lose the ones after it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson

from vigil.ingest.items import ReadError
from vigil.leaks.redact import redact_slice

#: orjson's message when a whole value is followed by more than whitespace.
TRAILING = "unexpected content after document"
#: orjson's message when the data ends inside a value.
END_OF_DATA = "unexpected end of data"
_WINDOW = 4096
_BROKEN = object()
_VALUE_START = re.compile(rb"\n[\[{]")
_WHITESPACE = b" \t\r\n"


def _byte_offset(data: bytes, start: int, chars: int) -> int:
    """The byte offset, from ``start``, of the ``chars``-th character of UTF-8 ``data[start:]``
    (orjson counts an error's position in characters)."""
    window = data[start : start + 4 * chars]
    if window.isascii():
        return chars
    return len(window.decode("utf-8", "ignore")[:chars].encode())


def _skip_blank(data: bytes, at: int) -> int:
    n = len(data)
    while at < n and data[at] in _WHITESPACE:
        at += 1
    return at


def _resume(data: bytes, after: int) -> int:
    """Where the next top-level value likely starts after a broken one (module docstring)."""
    found = _VALUE_START.search(data, after)  # the first of either (two finds scan to the end)
    return found.start() + 1 if found else len(data)


def _window_end(data: bytes, at: int, size: int) -> int:
    """The end of a window of at least ``size`` bytes from ``at``: just after a line end (a JSON
    string holds no raw line break, so no string or UTF-8 character is cut), or the data's end."""
    if at + size >= len(data):
        return len(data)
    cut = data.find(b"\n", at + size)
    return len(data) if cut == -1 else cut + 1


def values(data: bytes, source: str) -> Iterator[tuple[int, Any] | ReadError]:
    """``(line, value)`` for each value of ``data`` in order, or a ReadError for a broken one.

    Each value is parsed from a window that grows until it holds the value (orjson reads the
    whole of what it is given: parsing from a value to the end of the data each time made a
    file of many values quadratic)."""
    view = memoryview(data)
    at, line = _skip_blank(data, 0), 1
    counted = 0
    while at < len(data):
        line += data.count(b"\n", counted, at)
        counted = at
        size = _WINDOW
        while True:
            end = _window_end(data, at, size)
            try:
                value = orjson.loads(view[at:end])
                break
            except orjson.JSONDecodeError as exc:
                if exc.msg == END_OF_DATA and end < len(data):
                    size *= 4  # the value goes on past the window
                    continue
                stop = at + _byte_offset(data, at, exc.pos)
                if exc.msg == TRAILING:
                    end = stop
                    value = orjson.loads(view[at:end])
                    break
                error_line = line + data.count(b"\n", at, stop)
                excerpt = redact_slice(data, stop - 40, stop + 40)
                yield ReadError(source, error_line, f"invalid JSON: {exc.msg}", excerpt)
                value, end = _BROKEN, _resume(data, stop)
                break
        if value is not _BROKEN:
            yield line, value
        at = _skip_blank(data, end)
