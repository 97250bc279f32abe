"""``from_dict`` / ``to_dict`` for the frozen parameter dataclasses of detectors.

A detector's ``Params`` holds its tunables with documented defaults. Overrides come as a plain
mapping (a TOML table, say): unknown names raise ``ValueError`` (a typo must not silently keep
the default), tuples are given as lists, and a ``tuple[tuple[str, float], ...]`` field (e.g.
feature weights) may be given as a mapping that is merged over the default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Self, TypeVar

T = TypeVar("T")


def params_from_dict(cls: type[T], data: Mapping[str, Any] | None) -> T:
    """``cls`` with the defaults overridden by ``data``."""
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data or {}) - set(fields))
    if unknown:
        raise ValueError(f"unknown {cls.__name__} parameter(s): {', '.join(unknown)}")
    defaults = cls()
    values: dict[str, Any] = {}
    for name, value in (data or {}).items():
        current = getattr(defaults, name)
        if isinstance(value, Mapping) and isinstance(current, tuple):
            merged = dict(current)
            merged.update({str(k): float(v) for k, v in value.items()})
            values[name] = tuple(sorted(merged.items()))
        elif isinstance(current, tuple):
            values[name] = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        elif isinstance(current, bool):
            values[name] = bool(value)
        elif isinstance(current, int | float) and not isinstance(value, bool):
            values[name] = type(current)(value)
        else:
            values[name] = value
    return dataclasses.replace(defaults, **values)  # type: ignore[type-var]


def params_to_dict(params: Any) -> dict[str, Any]:
    """JSON-compatible mapping of every parameter (tuples as lists)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        if isinstance(value, tuple):
            value = [list(v) if isinstance(v, tuple) else v for v in value]
        out[f.name] = value
    return out


class DetectorParams:
    """Base of a detector's frozen ``Params`` dataclass: ``from_dict`` and ``to_dict`` above."""

    __slots__ = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Self:
        return params_from_dict(cls, data)

    def to_dict(self) -> dict[str, Any]:
        return params_to_dict(self)
