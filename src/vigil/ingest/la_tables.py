"""Log Analytics query API responses: tables of columns and rows, unwrapped into row objects.

The query API (``POST https://api.loganalytics.io/v1/workspaces/{id}/query``, and
``az rest`` / ``Invoke-AzOperationalInsightsQuery -AsJob`` saving its body) answers::

    {"tables": [{"name": "PrimaryResult",
                 "columns": [{"name": "TimeGenerated", "type": "datetime"}, ...],
                 "rows": [["2024-05-14T09:21:07.123Z", ...], ...]}]}

Each row becomes an object keyed by the column names, as the ``az monitor log-analytics query``
output and the CSV export give it, so the Log Analytics normalizers read it the same way: dynamic
columns (``LocationDetails``, ``TargetResources``, ...) arrive as JSON text there too. The
response may also carry ``statistics``, ``render`` or ``error`` beside ``tables``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Keys a query response may hold beside ``tables``.
_RESPONSE_KEYS = frozenset({"tables", "statistics", "render", "error"})


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row that cannot become an object: the reader rejects it at its position."""

    reason: str
    row: Any


def _columns(table: Any) -> list[str] | None:
    if type(table) is not dict or type(table.get("rows")) is not list:
        return None
    columns = table.get("columns")
    if type(columns) is not list or not columns:
        return None
    names = [c.get("name") if type(c) is dict else None for c in columns]
    if not all(type(n) is str and n for n in names):
        return None
    return names  # type: ignore[return-value]


def table_rows(obj: dict[str, Any]) -> list[dict[str, Any] | BadRow] | None:
    """The rows of every table of a query response as objects, in order; None when ``obj`` is
    not one (``tables`` missing, another key beside it, or a table without named columns)."""
    tables = obj.get("tables")
    if type(tables) is not list or not tables or not set(obj) <= _RESPONSE_KEYS:
        return None
    named = [(_columns(t), t) for t in tables]
    if any(names is None for names, _ in named):
        return None
    out: list[dict[str, Any] | BadRow] = []
    for names, table in named:
        assert names is not None
        for row in table["rows"]:
            if type(row) is not list:
                out.append(BadRow(f"expected a row (a JSON array), got {type(row).__name__}", row))
            elif len(row) != len(names):
                out.append(BadRow(f"row has {len(row)} cells, its table {len(names)} columns", row))
            else:
                out.append(dict(zip(names, row, strict=True)))
    return out
