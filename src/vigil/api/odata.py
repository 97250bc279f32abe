"""Microsoft Graph-compatible OData system query options.

Used by the ``/identityProtection/riskyServicePrincipals`` and
``/servicePrincipalRiskDetections`` endpoints and by the CLI's ``--filter``.
Pure parsing (OData v4.01 URL Conventions §5.1: ``$filter`` §5.1.1,
``$select`` §5.1.3, ``$orderby`` §5.1.4, ``$top`` §5.1.5) plus compilation of
``$filter`` to SQLAlchemy Core; no web framework is involved.  Every parser
raises :class:`ODataQueryError` (a ``ValueError``) and nothing else on bad
input.  The ``$filter`` grammar lives in :mod:`vigil.api.odata_filter`.

Filter semantics use OData's two-valued logic for null: ``p eq 'x'`` is false
and ``p ne 'x'`` is true when ``p`` is null, ordering comparisons and
``in``/``startswith`` are false on null, and ``not`` simply negates.
:func:`compile_filter` and :func:`evaluate_filter` implement the same
semantics, with case-sensitive string comparison.  ``startswith`` compiles to
``LIKE``, which SQLite folds ASCII case for unless the connection sets
``PRAGMA case_sensitive_like = ON``; PostgreSQL's ``LIKE`` is case-sensitive.
Ordering comparisons (``gt``...) on strings follow the database collation
(SQLite's default BINARY collation matches Python's code-point order).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sqlalchemy import and_, not_, or_
from sqlalchemy.sql.elements import ColumnElement

from vigil.api.odata_filter import (
    MAX_FILTER_DEPTH,
    MAX_FILTER_LENGTH,
    And,
    Compare,
    CompareOp,
    FilterExpr,
    In,
    Not,
    ODataQueryError,
    Or,
    Property,
    PropType,
    StartsWith,
    Value,
    lookup_property,
    parse_filter,
)
from vigil.store.bytewise import bytewise

__all__ = [
    "KNOWN_OPTIONS",
    "MAX_FILTER_DEPTH",
    "MAX_FILTER_LENGTH",
    "And",
    "Compare",
    "CompareOp",
    "FilterExpr",
    "In",
    "Not",
    "ODataQueryError",
    "Or",
    "PropType",
    "Property",
    "StartsWith",
    "Value",
    "compile_filter",
    "evaluate_filter",
    "normalize_query_options",
    "parse_filter",
    "parse_orderby",
    "parse_select",
    "parse_top",
]

#: System query options Vigil recognises (canonical, ``$``-prefixed, lower case).
KNOWN_OPTIONS = frozenset(
    {
        "$filter",
        "$select",
        "$top",
        "$orderby",
        "$count",
        "$skiptoken",
        "$skip",
        "$expand",
        "$search",
    }
)
_MAX_LIST_LENGTH = 4096


def _items(option: str, text: str) -> list[tuple[str, int]]:
    """Split a comma-separated option value into (stripped item, 0-based offset) pairs."""
    if len(text) > _MAX_LIST_LENGTH:
        raise ODataQueryError(
            option,
            f"the value is {len(text)} characters long; the maximum is {_MAX_LIST_LENGTH}",
            _MAX_LIST_LENGTH,
        )
    items: list[tuple[str, int]] = []
    offset = 0
    for raw in text.split(","):
        stripped = raw.strip()
        pos = offset + (len(raw) - len(raw.lstrip()))
        if not stripped:
            what = "the value is empty" if text.strip() == "" else "empty item in the list"
            raise ODataQueryError(option, what, pos)
        items.append((stripped, pos))
        offset += len(raw) + 1
    return items


def parse_orderby(text: str, properties: Mapping[str, Property]) -> tuple[tuple[str, bool], ...]:
    """Parse ``$orderby`` (§5.1.4): ``prop [asc|desc]`` items separated by commas.

    Returns ``(property name, descending)`` pairs in order.  Only sortable
    properties are accepted, each at most once; ``asc``/``desc`` are
    case-insensitive and default to ascending.
    """
    result: list[tuple[str, bool]] = []
    seen: set[str] = set()
    for item, pos in _items("$orderby", text):
        words = item.split()
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            extra_at = pos + item.index(words[1], len(words[0]))
            raise ODataQueryError(
                "$orderby",
                f"expected 'asc', 'desc', ',' or the end after "
                f"{words[0]!r}, found {' '.join(words[1:])!r}",
                extra_at,
            )
        prop = lookup_property(
            "$orderby", words[0], properties, pos, usable=lambda p: p.sortable, purpose="sortable"
        )
        if prop.name in seen:
            raise ODataQueryError(
                "$orderby", f"property {prop.name!r} is listed more than once", pos
            )
        seen.add(prop.name)
        result.append((prop.name, len(words) == 2 and words[1].lower() == "desc"))
    return tuple(result)


def parse_select(text: str, properties: Mapping[str, Property]) -> tuple[str, ...]:
    """Parse ``$select`` (§5.1.3): comma-separated property names.

    Whitespace around names is tolerated; repeated names are returned once, in
    order of first appearance; an unknown name raises :class:`ODataQueryError`.
    """
    names: dict[str, None] = {}
    for item, pos in _items("$select", text):
        names[lookup_property("$select", item, properties, pos).name] = None
    return tuple(names)


def parse_top(text: str, maximum: int) -> int:
    """Parse ``$top`` (§5.1.5): a decimal integer in ``1..maximum``.

    Surrounding whitespace is tolerated; signs, decimals and non-ASCII digits
    are not.
    """
    value = text.strip()
    if not value.isascii() or not value.isdigit():
        raise ODataQueryError("$top", f"expected a positive integer, found {value[:40]!r}")
    if len(value) > 18 or not 1 <= int(value) <= maximum:
        raise ODataQueryError("$top", f"must be between 1 and {maximum}, found {value[:40]}")
    return int(value)


def normalize_query_options(params: Mapping[str, str], *, allow_bare: bool) -> dict[str, str]:
    """Map request parameters to canonical ``$``-prefixed system query options.

    Option names are case-insensitive.  ``$xyz`` names outside
    :data:`KNOWN_OPTIONS` raise :class:`ODataQueryError`.  Bare names such as
    ``filter`` are options only when ``allow_bare`` (Graph beta, where the
    ``$`` is optional); otherwise, like every other non-``$`` parameter, they
    are ignored.  An option given twice (``$top`` and ``top``, or ``$top`` and
    ``$TOP``) raises :class:`ODataQueryError`.
    """
    options: dict[str, str] = {}
    for key, value in params.items():
        if key.startswith("$"):
            name = key.lower()
            if name not in KNOWN_OPTIONS:
                known = ", ".join(sorted(KNOWN_OPTIONS))
                raise ODataQueryError(
                    key[:40], f"unknown system query option; expected one of: {known}"
                )
        elif allow_bare and "$" + key.lower() in KNOWN_OPTIONS:
            name = "$" + key.lower()
        else:
            continue
        if name in options:
            raise ODataQueryError(name, "the option is specified more than once")
        options[name] = value
    return options


def _operands(expr: And | Or) -> Iterator[FilterExpr]:
    """Yield the operands of a same-operator chain left to right, without recursion."""
    stack: list[FilterExpr] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, And | Or) and type(node) is type(expr):
            stack.extend((node.right, node.left))
        else:
            yield node


_ORDER_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def evaluate_filter(expr: FilterExpr, row: Mapping[str, object]) -> bool:
    """Evaluate ``expr`` against ``row`` (Graph property name -> Python value).

    Same semantics as :func:`compile_filter`.  Every property referenced by
    ``expr`` must be a key of ``row`` (``KeyError`` otherwise); datetimes must be
    timezone-aware.
    """
    match expr:
        case And():
            return all(evaluate_filter(e, row) for e in _operands(expr))
        case Or():
            return any(evaluate_filter(e, row) for e in _operands(expr))
        case Not(inner):
            return not evaluate_filter(inner, row)
        case Compare(op, prop, literal):
            value = row[prop]
            if literal is None:
                return (value is None) == (op == "eq")
            if value is None:
                return op == "ne"
            return value != literal if op == "ne" else _ORDER_OPS[op](value, literal)
        case In(prop, values):
            value = row[prop]
            return value is not None and value in values
        case StartsWith(prop, prefix):
            value = row[prop]
            return isinstance(value, str) and value.startswith(prefix)
    raise TypeError(f"not a filter expression: {expr!r}")


def compile_filter(
    expr: FilterExpr, columns: Mapping[str, ColumnElement[Any]]
) -> ColumnElement[bool]:
    """Compile ``expr`` to a SQLAlchemy Core boolean expression.

    ``columns`` maps Graph property names to columns; literal values (including
    aware datetimes) are bound as-is so column types can convert them.  Every
    leaf compiles to a two-valued (never NULL) condition on nullable columns --
    ``ne`` becomes ``col != v OR col IS NULL`` and the other operators are
    guarded by ``col IS NOT NULL`` -- so ``NOT`` agrees with :func:`evaluate_filter`.
    """
    match expr:
        case And():
            return and_(*(compile_filter(e, columns) for e in _operands(expr)))
        case Or():
            return or_(*(compile_filter(e, columns) for e in _operands(expr)))
        case Not(inner):
            return not_(compile_filter(inner, columns))
        case Compare(op, prop, value):
            col = columns[prop]
            if value is None:
                return col.is_(None) if op == "eq" else col.is_not(None)
            if op == "ne":
                return or_(col != value, col.is_(None)) if _nullable(col) else col != value
            # text ranges by code point on every backend, as evaluate_filter (vigil.store.bytewise)
            cond = _ORDER_OPS[op](col if op == "eq" else bytewise(col), value)
        case In(prop, values):
            col = columns[prop]
            cond = col.in_(values)
        case StartsWith(prop, prefix):
            col = columns[prop]
            cond = col.startswith(prefix, autoescape=True)
        case _:
            raise TypeError(f"not a filter expression: {expr!r}")
    return and_(col.is_not(None), cond) if _nullable(col) else cond


def _nullable(col: ColumnElement[Any]) -> bool:
    return bool(getattr(col, "nullable", True))
