"""Collections inside a JSON value, unwrapped into the records they hold.

A Graph page ``{"value": [...], "@odata.*": ...}`` yields its items with ``shape_hint``
``graph:<entity set>`` (from ``@odata.context``, e.g. ``graph:auditLogs/signIns``) or ``graph``; a
diagnostic-settings ``{"records": [...]}`` yields its items with hint ``diagnostic``; a Log
Analytics query API response ``{"tables": [{"columns", "rows"}]}`` yields each row as an object
keyed by its column names (:mod:`vigil.ingest.la_tables`); a JSON array yields its objects (one
level: an array of pages is unwrapped twice).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from vigil.ingest.items import Item, RawRecord, ReadError, excerpt_of
from vigil.ingest.la_tables import BadRow, table_rows

HINT_DIAGNOSTIC = "diagnostic"
HINT_GRAPH = "graph"


def is_record(value: object) -> bool:
    """A JSON line's value is one record, not a collection page, a records wrapper or a query
    response."""
    return (
        type(value) is dict and "value" not in value and "records" not in value
        and "tables" not in value
    )  # fmt: skip


def unwrap(value: Any, source: str, line: int, *, per_item_lines: bool) -> Iterator[Item]:
    """Yield the objects in ``value``: itself, a Graph page's items, records, array elements.

    One level of nesting is unwrapped (an array of pages); deeper arrays are errors.
    """
    hint: str | None = None
    if type(value) is dict:
        items, hint = collection(value)
        if items is None:
            yield RawRecord(source, line, value)
            return
    elif type(value) is list:
        items = value
    else:
        yield _not_object(value, source, line)
        return
    for index, item in enumerate(items):
        yield from unwrap_item(item, source, index + 1 if per_item_lines else line, hint)


def unwrap_item(item: Any, source: str, item_line: int, hint: str | None) -> Iterator[Item]:
    """Yield what one item of a collection (``hint``: the collection's) holds: itself, or the
    objects of a collection it is (one level)."""
    if type(item) is BadRow:
        yield ReadError(source, item_line, item.reason, _excerpt(item.row))
        return
    if type(item) is not dict:
        yield _not_object(item, source, item_line)
        return
    inner, inner_hint = collection(item)
    if inner is None:
        yield RawRecord(source, item_line, item, hint)
        return
    for element in inner:
        if type(element) is dict:
            yield RawRecord(source, item_line, element, inner_hint)
        elif type(element) is BadRow:  # a query response's row, in an array of responses
            yield ReadError(source, item_line, element.reason, _excerpt(element.row))
        else:
            yield _not_object(element, source, item_line)


def _excerpt(value: Any) -> bytes:
    try:
        return excerpt_of(orjson.dumps(value))
    except orjson.JSONEncodeError:
        return b""


def _not_object(value: Any, source: str, line: int) -> ReadError:
    reason = f"expected a JSON object, got {type(value).__name__}"
    return ReadError(source, line, reason, _excerpt(value))


def collection(obj: dict[str, Any]) -> tuple[list[Any] | None, str | None]:
    """``(items, hint)`` when ``obj`` is a Graph page, a records wrapper or a Log Analytics query
    response (:mod:`vigil.ingest.la_tables`), else ``(None, None)``."""
    value = obj.get("value")
    if type(value) is list and all(k == "value" or k.startswith("@") for k in obj):
        context = obj.get("@odata.context")
        if type(context) is str and "#" in context:
            return value, f"{HINT_GRAPH}:{context.split('#', 1)[1]}"
        return value, HINT_GRAPH
    records = obj.get("records")
    if type(records) is list and all(k == "records" or k.startswith("@") for k in obj):
        return records, HINT_DIAGNOSTIC
    if "tables" in obj:
        return table_rows(obj), None
    return None, None
