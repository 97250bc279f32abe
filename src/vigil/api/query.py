"""A collection request's OData system query options, parsed and checked (framework-free).

Accepts the options of ``shared/spec`` §3.1: ``$filter``, ``$select``, ``$orderby``, ``$top`` (the
page size), ``$count``, ``$skiptoken``, plus ``$format=csv``; on beta the ``$`` is optional. Parsing
uses :mod:`vigil.api.odata`. Anything malformed or unsupported (``$expand``, ``$search``, ``$skip``,
a repeated option, a NUL character) raises ``ODataQueryError`` or a 400 :class:`GraphError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, and_, case

from vigil.api.errors import GraphError
from vigil.api.keyset import full_order, seek
from vigil.api.odata import (
    compile_filter,
    normalize_query_options,
    parse_filter,
    parse_orderby,
    parse_select,
    parse_top,
)
from vigil.api.odata_filter import Property, PropType
from vigil.api.paging import Skip, decode_skiptoken, invalid_skiptoken
from vigil.api.properties import EntitySet
from vigil.store.bytewise import bytewise

MAX_TOP = 1000
_UNSUPPORTED = ("$expand", "$search", "$skip")
_FORMATS = {"json": False, "application/json": False, "csv": True, "text/csv": True}


@dataclass(frozen=True)
class ListQuery:
    #: ``$filter`` and, past the first page of a keyset-paged list, "after the token's row".
    where: ColumnElement[bool] | None
    #: ``(column, descending)`` pairs for the repository.
    order_by: tuple[tuple[Any, bool], ...]
    select: tuple[str, ...]
    top: int
    #: Where a ``v1`` token starts (lists held in memory); 0 otherwise.
    offset: int
    count: bool
    csv: bool
    #: The canonical options, repeated in ``@odata.nextLink``.
    options: Mapping[str, str]
    #: ``$orderby`` (or the default) by Graph property name: what a keyset token holds.
    order: tuple[tuple[str, bool], ...] = ()
    #: The filter without the token's condition, and the entity set (keyset paging of CSV batches).
    filter: ColumnElement[bool] | None = None
    entity: EntitySet | None = None

    def after(self, key: Sequence[Any]) -> ColumnElement[bool] | None:
        """``$filter`` and "after the row whose sort key is ``key``" (:mod:`vigil.api.keyset`)."""
        assert self.entity is not None
        keys = [sort_key(self.entity, name) for name, _ in full_order(self.order)]
        cond = seek(self.entity, self.order, keys, key)
        return cond if self.filter is None else and_(self.filter, cond)


def _split_format(params: Sequence[tuple[str, str]], beta: bool) -> tuple[dict[str, str], bool]:
    """Check for repeated parameters and take ``$format`` out (odata.py does not know it)."""
    seen: dict[str, str] = {}
    csv = False
    for key, value in params:
        if "\x00" in key or "\x00" in value:
            raise GraphError(400, "query parameters must not contain NUL characters")
        if key in seen:
            raise GraphError(400, f"the query parameter {key[:40]!r} is given more than once")
        seen[key] = value
    for key in list(seen):
        if key.lower() == "$format" or (beta and key.lower() == "format"):
            value = seen.pop(key).strip().lower()
            if value not in _FORMATS:
                raise GraphError(400, "$format must be json or csv", code="notSupported")
            csv = _FORMATS[value]
    return seen, csv


def parse_list_query(
    params: Sequence[tuple[str, str]],
    entity: EntitySet,
    *,
    beta: bool,
    default_top: int,
    default_order: Sequence[tuple[str, bool]] = (),
    selectable: Mapping[str, Property] | None = None,
    queryable: bool = True,
) -> ListQuery:
    """Parse a collection request's query options against ``entity``.

    ``queryable=False`` (history) refuses ``$filter`` and ``$orderby``; ``selectable`` overrides the
    names ``$select`` accepts.
    """
    raw, csv = _split_format(params, beta)
    options = normalize_query_options(raw, allow_bare=beta)
    for name in _UNSUPPORTED:
        if name in options:
            raise GraphError(
                400, f"{name} is not supported on this collection", code="notSupported"
            )
    if not queryable:
        for name in ("$filter", "$orderby"):
            if name in options:
                raise GraphError(
                    400, f"{name} is not supported on this collection", code="notSupported"
                )
    where = None
    if "$filter" in options:
        where = compile_filter(parse_filter(options["$filter"], entity.properties), entity.columns)
    order = default_order
    if "$orderby" in options:
        order = parse_orderby(options["$orderby"], entity.properties)
    select: tuple[str, ...] = ()
    if "$select" in options:
        select = parse_select(options["$select"], selectable or entity.selectable)
    top = parse_top(options["$top"], MAX_TOP) if "$top" in options else default_top
    count = _parse_bool("$count", options.get("$count", "false"))
    skip = decode_skiptoken(options["$skiptoken"]) if "$skiptoken" in options else Skip()
    query = ListQuery(
        where=where,
        order_by=tuple((sort_key(entity, name), desc) for name, desc in order),
        select=select,
        top=top,
        offset=skip.offset,
        count=count,
        csv=csv,
        options=options,
        order=tuple(order),
        filter=where,
        entity=entity if queryable else None,
    )
    if skip.after is None:
        return query
    if not queryable:
        raise invalid_skiptoken("not one of this list")
    return replace(query, where=query.after(skip.after))


def sort_key(entity: EntitySet, name: str) -> Any:
    """What ``$orderby`` sorts ``name`` by: its column, or for an enum its members' Graph order.

    OData orders enum values by their underlying numbers, i.e. in declaration order (``low`` <
    ``medium`` < ``high``), not by name; the store holds the names.
    """
    col = entity.columns[name]
    prop = entity.properties[name]
    if prop.type is not PropType.ENUM:
        return bytewise(col)  # text by code point, as SQLite and Python, on PostgreSQL too
    return case({member: i for i, member in enumerate(prop.enum_values)}, value=col, else_=-1)


def _parse_bool(option: str, text: str) -> bool:
    value = text.strip().lower()
    if value not in ("true", "false"):
        raise GraphError(400, f"{option} must be true or false")
    return value == "true"
