"""Query options of single-item and ``/$count`` requests, and the id checks of path segments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from vigil.api.errors import GraphError
from vigil.api.odata import compile_filter, normalize_query_options, parse_filter, parse_select
from vigil.api.odata_filter import Property
from vigil.api.properties import EntitySet


def check_key(key: str) -> str:
    """A path key is text without NUL (which PostgreSQL refuses) of at most 128 characters."""
    if "\x00" in key or len(key) > 128:
        raise GraphError(400, "invalid id in the URL")
    return key


def _options(params: Sequence[tuple[str, str]], beta: bool, allowed: set[str]) -> dict[str, str]:
    if any("\x00" in k or "\x00" in v for k, v in params):
        raise GraphError(400, "query parameters must not contain NUL characters")
    if len({k for k, _ in params}) != len(params):
        raise GraphError(400, "a query parameter is given more than once")
    options = normalize_query_options(dict(params), allow_bare=beta)
    for name in options:
        if name not in allowed:
            raise GraphError(400, f"{name} is not supported here", code="notSupported")
    return options


def parse_item_select(
    params: Sequence[tuple[str, str]], selectable: Mapping[str, Property], *, beta: bool
) -> tuple[str, ...]:
    """``$select`` of a single-item request (the only option such a request accepts)."""
    options = _options(params, beta, {"$select"})
    return parse_select(options["$select"], selectable) if "$select" in options else ()


def parse_count_filter(
    params: Sequence[tuple[str, str]], entity: EntitySet, *, beta: bool
) -> object | None:
    """The compiled ``$filter`` of a ``/$count`` request, or None."""
    options = _options(params, beta, {"$filter"})
    if "$filter" not in options:
        return None
    return compile_filter(parse_filter(options["$filter"], entity.properties), entity.columns)
