"""OData query-option types: the error, property descriptions and the ``$filter`` AST.

See :mod:`vigil.api.odata_filter` for the grammar.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal, TypeAlias

MAX_FILTER_LENGTH = 4096
MAX_FILTER_DEPTH = 50
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class ODataQueryError(ValueError):
    """Malformed or unsupported query option.

    ``option`` names the query option (``"$filter"``, ``"$top"``...), ``position``
    is the 0-based character offset of the offending token (``None`` when it does
    not apply) and ``str(e)`` is a complete human-readable message.
    """

    def __init__(self, option: str, message: str, position: int | None = None) -> None:
        self.option = option
        self.message = message
        self.position = position
        where = "" if position is None else f" at position {position}"
        super().__init__(f"invalid {option}{where}: {message}")


class PropType(StrEnum):
    """Edm type family of a queryable property."""

    STRING = "string"
    ENUM = "enum"
    DATETIME = "datetime"
    BOOL = "bool"
    INT = "int"


@dataclass(frozen=True)
class Property:
    """A queryable resource property, by its Graph (camelCase) name."""

    name: str
    type: PropType
    enum_values: tuple[str, ...] = ()
    filterable: bool = True
    sortable: bool = True
    #: The Graph enum type's name (``riskLevel``), for ``microsoft.graph.riskLevel'high'`` literals.
    enum_type: str = ""
    #: The property holds GUIDs, stored lower-case: a GUID literal is compared in lower case
    #: (Graph matches GUIDs case-insensitively; see :func:`vigil.normalize.values.canonical_guid`).
    guid: bool = False


Value: TypeAlias = str | bool | int | datetime | None
CompareOp: TypeAlias = Literal["eq", "ne", "gt", "ge", "lt", "le"]


@dataclass(frozen=True)
class Compare:
    """``prop op value``; ``value is None`` only for ``eq``/``ne`` (null tests)."""

    op: CompareOp
    prop: str
    value: Value


@dataclass(frozen=True)
class In:
    """``prop in (v1, v2, ...)``; ``values`` is non-empty and contains no null."""

    prop: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class StartsWith:
    """``startswith(prop, 'prefix')`` (case-sensitive)."""

    prop: str
    prefix: str


@dataclass(frozen=True)
class And:
    left: FilterExpr
    right: FilterExpr


@dataclass(frozen=True)
class Or:
    left: FilterExpr
    right: FilterExpr


@dataclass(frozen=True)
class Not:
    expr: FilterExpr


FilterExpr: TypeAlias = Compare | In | StartsWith | And | Or | Not


def lookup_property(
    option: str,
    name: str,
    properties: Mapping[str, Property],
    position: int | None,
    *,
    usable: Callable[[Property], bool] = lambda p: True,
    purpose: str = "",
) -> Property:
    """Resolve ``name`` (exact match, else a unique case-insensitive match) or raise.

    ``usable`` filters the candidates (e.g. filterable ones); the error lists them.
    """
    prop = properties.get(name)
    if prop is None:
        folded = [p for key, p in properties.items() if key.lower() == name.lower()]
        prop = folded[0] if len(folded) == 1 else None
    allowed = ", ".join(sorted(p.name for p in properties.values() if usable(p))) or "(none)"
    label = f"{purpose} properties" if purpose else "properties"
    if prop is None:
        message = f"unknown property {_clip(name)!r}; {label}: {allowed}"
    elif not usable(prop):
        message = f"property {prop.name!r} cannot be used in {option}; {label}: {allowed}"
    else:
        return prop
    raise ODataQueryError(option, message, position)


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
