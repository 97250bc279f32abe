"""Keyset paging: a page starts after the last row of the previous one, not at an offset.

An offset counts rows, so a row inserted (or removed) before the reader's position between two
pages shifts every later row: the next page repeats the previous page's last row, or skips one.
Detections are listed newest first, so ingestion running while a client pages makes that the
common case. Instead, ``$skiptoken`` carries the sort key of the last row served -- the values of
the ``$orderby`` properties and the id, as the Graph JSON shows them -- and the next page holds the
rows strictly after it in the list's order (``$orderby``, then id; nulls first ascending, last
descending, enums in member order: :func:`vigil.api.query.sort_key`,
:func:`vigil.store.risk.order_clause`). Rows inserted behind the reader are not seen; no row is
repeated or skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ColumnElement, and_, false, literal, or_

from vigil.api.odata_filter import PropType
from vigil.api.paging import invalid_skiptoken
from vigil.api.properties import EntitySet

#: ``(Graph property name, descending)`` pairs: ``$orderby`` followed by ``("id", False)``.
Order = Sequence[tuple[str, bool]]


def full_order(order: Order) -> tuple[tuple[str, bool], ...]:
    """``order`` with the id appended as the final, unique key (unless it is already there)."""
    names = [name for name, _ in order]
    return tuple(order) if "id" in names else (*order, ("id", False))


def key_of(order: Order, doc: Mapping[str, Any]) -> list[Any]:
    """The sort key of a row, from its Graph JSON (with every enum member shown as itself)."""
    return [doc[name] for name, _ in full_order(order)]


def _value(entity: EntitySet, name: str, raw: Any) -> Any:
    """A key value from the token, as the sort expression holds it (enum → its member index)."""
    if raw is None:
        return None
    prop = entity.properties[name]
    match prop.type:
        case PropType.STRING if isinstance(raw, str):
            return raw
        case PropType.ENUM if isinstance(raw, str) and raw in prop.enum_values:
            return prop.enum_values.index(raw)
        case PropType.BOOL if isinstance(raw, bool):
            return raw
        case PropType.DATETIME if isinstance(raw, str):
            try:
                value = datetime.fromisoformat(raw)
            except ValueError:
                raise invalid_skiptoken(f"bad {name}") from None
            if value.tzinfo is None:
                raise invalid_skiptoken(f"bad {name}")
            return value
    raise invalid_skiptoken(f"bad {name}")


def _eq(expr: Any, value: Any) -> ColumnElement[bool]:
    return expr.is_(None) if value is None else expr == value


def _after(expr: Any, value: Any, descending: bool) -> ColumnElement[bool]:
    """``expr`` sorts strictly after ``value`` (nulls first ascending, last descending)."""
    if isinstance(value, bool):  # SQLAlchemy refuses ``col > True``; a bound literal is fine
        value = literal(value, Boolean)
    if descending:
        if value is None:
            return false()
        return (
            or_(expr < value, expr.is_(None)) if getattr(expr, "nullable", True) else expr < value
        )
    return expr.is_not(None) if value is None else expr > value


def seek(
    entity: EntitySet, order: Order, keys: Sequence[Any], raw: Sequence[Any]
) -> ColumnElement[bool]:
    """The rows after the one whose sort key is ``raw`` (from a token) in ``order``.

    ``keys`` are the sort expressions of ``full_order(order)``, in the same order.
    """
    order = full_order(order)
    if len(raw) != len(order):
        raise invalid_skiptoken("it belongs to another $orderby")
    values = [_value(entity, name, r) for (name, _), r in zip(order, raw, strict=True)]
    if values[-1] is None:
        raise invalid_skiptoken("no id")
    alternatives = []
    for i, ((_, descending), key, value) in enumerate(zip(order, keys, values, strict=True)):
        same = [_eq(k, v) for k, v in zip(keys[:i], values[:i], strict=True)]
        alternatives.append(and_(*same, _after(key, value, descending)))
    return or_(*alternatives)
