"""One collection response, shared by every list route: JSON pages or a CSV download.

JSON: ``{"@odata.context", ["@odata.count"], "value": [...], ["@odata.nextLink"]}``. ``$top`` is
the page size; one extra row is read to know whether a next page exists, so no count query runs
unless ``$count=true`` (and then only on the first page, as Graph does for directory resources).
CSV: every matching row from the token's position on, read in batches (keyset, like the pages) and
streamed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from vigil.api.csv_format import CSV_TYPE, columns_of, csv_lines
from vigil.api.keyset import key_of
from vigil.api.paging import next_link
from vigil.api.query import ListQuery
from vigil.api.responses import context_url, json_response, project
from vigil.api.shapes import Version

M = TypeVar("M")
#: ``fetch(where, order_by, limit, offset)`` → model objects.
Fetch = Callable[[Any, Sequence[tuple[Any, bool]], int, int], list[M]]
CSV_BATCH = 1000


@dataclass(frozen=True)
class Collection(Generic[M]):
    """How to read and shape one collection."""

    entity_set: str
    fetch: Fetch[M]
    count: Callable[[Any], int]
    shape: Callable[[M], dict[str, Any]]
    #: A placeholder item: its shape gives the CSV columns (also when there are no rows).
    sample: M
    #: An item's Graph JSON with every enum member as itself, for its keyset sort key
    #: (:mod:`vigil.api.keyset`); None pages by offset (a list held in memory).
    key: Callable[[M], Mapping[str, Any]] | None = None


def wants_csv(request: Request, query: ListQuery) -> bool:
    """``$format=csv``, or an ``Accept`` header that names ``text/csv`` and not JSON."""
    if query.csv:
        return True
    accept = request.headers.get("accept", "").lower()
    return "text/csv" in accept and "json" not in accept


def list_response(
    request: Request,
    query: ListQuery,
    collection: Collection[M],
    *,
    version: Version,
    base: str,
    headers: dict[str, str],
) -> Response:
    if wants_csv(request, query):
        return _csv_response(query, collection, headers)
    rows = collection.fetch(query.where, query.order_by, query.top + 1, query.offset)
    doc: dict[str, Any] = {
        "@odata.context": context_url(base, version, collection.entity_set, query.select)
    }
    if query.count and "$skiptoken" not in query.options:
        doc["@odata.count"] = collection.count(query.where)
    page = rows[: query.top]
    doc["value"] = [project(collection.shape(r), query.select) for r in page]
    if len(rows) > query.top:
        doc["@odata.nextLink"] = next_link(
            base, request.url.path, query.options, _next(query, collection, page[-1])
        )
    return json_response(doc, headers=headers)


def _next(query: ListQuery, collection: Collection[M], last: M) -> int | list[Any]:
    """Where the page after ``last`` starts: its sort key, or an offset."""
    if collection.key is None:
        return query.offset + query.top
    return key_of(query.order, collection.key(last))


def _csv_response(query: ListQuery, collection: Collection[M], headers: dict[str, str]) -> Response:
    columns = columns_of(collection.shape(collection.sample), query.select)

    def docs() -> Iterator[dict[str, Any]]:
        where, offset = query.where, query.offset
        while True:
            batch = collection.fetch(where, query.order_by, CSV_BATCH, offset)
            yield from (collection.shape(r) for r in batch)
            if len(batch) < CSV_BATCH:
                return
            if collection.key is None:
                offset += CSV_BATCH
            else:  # keyset: rows inserted while streaming are neither repeated nor skipped
                where, offset = query.after(key_of(query.order, collection.key(batch[-1]))), 0

    name = collection.entity_set.rsplit("/", 1)[-1]
    headers = {**headers, "Content-Disposition": f'attachment; filename="{name}.csv"'}
    return StreamingResponse(csv_lines(columns, docs()), media_type=CSV_TYPE, headers=headers)
