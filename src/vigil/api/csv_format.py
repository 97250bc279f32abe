"""CSV download of a collection (``$format=csv`` or ``Accept: text/csv``).

One header row with the Graph property names (``$select`` when given, else every property of the
shape, ``@odata.*`` excluded), then one row per item; nested values (``location``, ``keyIds``,
``activity``) are compact JSON, booleans ``true``/``false``, null an empty cell. Text cells that a
spreadsheet would take for a formula (starting with ``= + - @``, tab or CR) get a leading ``'``
(OWASP "CSV injection"): display names come from other tenants' app registrations.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson

CSV_TYPE = "text/csv; charset=utf-8"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    return str(value)


def columns_of(doc: dict[str, Any], select: Sequence[str]) -> list[str]:
    if select:
        return [c for c in select if c in doc]
    return [k for k in doc if not k.startswith("@")]


def csv_lines(columns: Sequence[str], docs: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The CSV text in chunks (one per up to 500 rows), header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for rows, doc in enumerate(docs, start=1):
        writer.writerow([cell(doc.get(c)) for c in columns])
        if rows % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
