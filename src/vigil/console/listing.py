"""The console's two tables: its simple filter parameters → the API's OData query → a page or a CSV.

The console speaks plain parameters (``level=high&state=atRisk&from=2026-01-01&q=payroll&sort=
displayName&dir=asc&page=2&size=50``). Without ``dir`` a column sorts in its own default direction
(:attr:`TableSpec.descending_first`: times newest first, risk level highest first, the others
ascending), which is also the direction a column header's first click asks for. The parameters are
turned into the Graph ``$filter`` / ``$orderby`` text the API accepts and parsed by the API's own
parser, so the filter semantics (and the 400s for bad values) are the API's; the free-text search,
which OData's ``startswith`` cannot express (case-insensitive *contains* over the name, or the exact
appId / id), is one extra SQL condition.
CSV downloads go through the API's :func:`vigil.api.listing.list_response`: the same columns,
escaping and streaming as ``$format=csv`` on the Graph routes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from vigil.api.errors import GraphError
from vigil.api.properties import RISKY_SERVICE_PRINCIPALS as RISKY
from vigil.api.properties import SERVICE_PRINCIPAL_RISK_DETECTIONS as DETECTIONS
from vigil.api.properties import EntitySet
from vigil.api.query import ListQuery, parse_list_query
from vigil.store.database import unicode_lower

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class TableSpec:
    """One console table: its entity set and which console parameter filters which property."""

    entity: EntitySet
    #: console parameter → Graph property compared with ``eq`` (comma-separated values: ``in``).
    equals: Mapping[str, str]
    #: The property ``from`` / ``to`` (dates, UTC, ``to`` inclusive) bound.
    date_property: str
    #: The sort without ``sort``; it is in :attr:`descending_first`, so newest first.
    default_sort: str
    #: What the table may be sorted by: properties whose order an index gives (or a narrow table).
    sortable: tuple[str, ...]
    #: The sortable properties whose direction without ``dir`` is descending; the others ascend.
    descending_first: frozenset[str]
    #: Columns the free-text search looks in: ``contains`` on the first, ``eq`` on the others.
    search: tuple[str, ...]


RISKY_TABLE = TableSpec(
    entity=RISKY,
    equals={"level": "riskLevel", "state": "riskState", "type": "servicePrincipalType"},
    date_property="riskLastUpdatedDateTime",
    default_sort="riskLastUpdatedDateTime",
    sortable=(
        "displayName",
        "appId",
        "servicePrincipalType",
        "riskState",
        "riskLevel",
        "riskLastUpdatedDateTime",
        "isEnabled",
    ),
    descending_first=frozenset({"riskLevel", "riskLastUpdatedDateTime"}),
    search=("displayName", "appId", "id"),
)

DETECTIONS_TABLE = TableSpec(
    entity=DETECTIONS,
    equals={
        "type": "riskEventType",
        "level": "riskLevel",
        "state": "riskState",
        "sp": "servicePrincipalId",
    },
    date_property="activityDateTime",
    default_sort="activityDateTime",
    # Sorting 10^5 wide detection rows by a text column takes ~0.5 s on SQLite: filter instead.
    sortable=("activityDateTime", "detectedDateTime"),
    descending_first=frozenset({"activityDateTime", "detectedDateTime"}),
    search=("servicePrincipalDisplayName", "appId", "servicePrincipalId", "id", "requestId"),
)


@dataclass(frozen=True)
class ConsoleQuery:
    """A parsed console request: the API's query plus what the page needs to show."""

    query: ListQuery
    #: The Graph ``$filter`` / ``$orderby`` equivalent of the structured filters (shown to users).
    graph_filter: str
    graph_orderby: str
    page: int
    size: int
    #: The sort applied (``sort``, ``asc`` / ``desc``) and each sortable column's default direction.
    sort: str
    direction: str
    directions: Mapping[str, str]


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise GraphError(400, f"{name} must be a date (YYYY-MM-DD)") from exc


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = params.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise GraphError(400, f"{name} must be an integer from {low} to {high}")
    return int(text)


def graph_filter(spec: TableSpec, params: Mapping[str, str]) -> str:
    """The OData ``$filter`` text of the structured console filters (``""`` when none)."""
    clauses = []
    for param, prop in spec.equals.items():
        values = [v.strip() for v in params.get(param, "").split(",") if v.strip()]
        if len(values) == 1:
            clauses.append(f"{prop} eq {_literal(values[0])}")
        elif values:
            clauses.append(f"{prop} in ({', '.join(_literal(v) for v in values)})")
    if params.get("from", "").strip():
        start = _day(params["from"], "from")
        clauses.append(f"{spec.date_property} ge {start.isoformat()}T00:00:00Z")
    if params.get("to", "").strip():
        end = _day(params["to"], "to") + timedelta(days=1)
        clauses.append(f"{spec.date_property} lt {end.isoformat()}T00:00:00Z")
    return " and ".join(clauses)


def _search(spec: TableSpec, text: str) -> ColumnElement[bool]:
    first, *exact = (spec.entity.columns[name] for name in spec.search)
    needle = text.lower()
    return or_(unicode_lower(first).contains(needle, autoescape=True), *(c == text for c in exact))


def parse(spec: TableSpec, params: Mapping[str, str], *, csv: bool = False) -> ConsoleQuery:
    """The console parameters as the API's :class:`ListQuery` (400 :class:`GraphError` if bad)."""
    sort = params.get("sort", "").strip() or spec.default_sort
    if sort not in spec.sortable:
        raise GraphError(400, f"cannot sort by {sort[:40]!r}; sortable: {', '.join(spec.sortable)}")
    direction = params.get("dir", "").strip().lower()
    if direction not in ("", "asc", "desc"):
        raise GraphError(400, "dir must be asc or desc")
    directions = {p: "desc" if p in spec.descending_first else "asc" for p in spec.sortable}
    direction = direction or directions[sort]
    size = _int(params, "size", 50, 1, MAX_PAGE_SIZE)
    page = _int(params, "page", 1, 1, 1_000_000)
    text_filter = graph_filter(spec, params)
    orderby = f"{sort} {direction}"
    options = [("$orderby", orderby), ("$top", str(size))]
    if text_filter:
        options.append(("$filter", text_filter))
    query = parse_list_query(options, spec.entity, beta=False, default_top=size)
    where = query.where
    q = params.get("q", "").strip()
    if q:
        where = _search(spec, q) if where is None else and_(where, _search(spec, q))
    query = replace(query, where=where, offset=(page - 1) * size, csv=csv)
    if csv:
        query = replace(query, offset=0)
    return ConsoleQuery(query, text_filter, orderby, page, size, sort, direction, directions)


def page_document(
    cq: ConsoleQuery,
    fetch: Callable[[Any, Any, int, int], list[Any]],
    count: Callable[[Any], int],
    shape: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    """One page of a console table: rows, the total, the sort applied (with every sortable column's
    default direction, which the column headers use) and the Graph query it corresponds to."""
    q = cq.query
    rows = fetch(q.where, q.order_by, q.top, q.offset)
    return {
        "value": [shape(r) for r in rows],
        "total": count(q.where),
        "page": cq.page,
        "size": cq.size,
        "graphFilter": cq.graph_filter,
        "graphOrderBy": cq.graph_orderby,
        "sort": cq.sort,
        "dir": cq.direction,
        "sortDirections": dict(cq.directions),
    }
