"""``from_dict`` / ``to_dict`` for the frozen parameter dataclasses of detectors.

A detector's ``Params`` holds its tunables with documented defaults. Overrides come as a plain
mapping (a ``[detectors.<riskEventType>]`` TOML table, or ``VIGIL_DETECTORS__...`` environment
variables, whose values are text): unknown names raise ``ValueError`` (a typo must not silently
keep the default), and so does a value of the wrong type, naming the parameter. Numbers are
finite and at least 0; lists (of names or ids) are given as lists of text (in text, JSON or
comma-separated); booleans as ``true``/``false`` (also ``1``/``0``, ``yes``/``no``); a
``tuple[tuple[str, float], ...]`` field (e.g. feature weights) as a table of its names (in text,
JSON or ``name=number,...``) merged over the default.
"""

from __future__ import annotations

import dataclasses
import json
import math
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
        try:
            values[name] = _coerce(getattr(defaults, name), value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{cls.__name__}.{name}: {exc}") from None
    return dataclasses.replace(defaults, **values)  # type: ignore[type-var]


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def _coerce(current: Any, value: Any) -> Any:
    """``value`` as the type of the default ``current``."""
    if isinstance(current, tuple) and current and all(isinstance(c, tuple) for c in current):
        return _pairs(current, value)
    if isinstance(current, tuple):
        if isinstance(value, str):
            text = value.strip()
            if text[:1] == "{":
                raise TypeError(f"expected a list, not a table: {value!r}")
            value = json.loads(text) if text[:1] == "[" else [v.strip() for v in text.split(",")]
            value = [v for v in value if v != ""] if isinstance(value, list) else value
        if not isinstance(value, list | tuple):
            raise TypeError(f"expected a list, not {value!r}")
        if not all(isinstance(v, str) for v in value):
            raise TypeError(f"expected a list of text, not {value!r}")
        return tuple(value)
    if isinstance(current, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise TypeError(f"expected true or false, not {value!r}")
    if isinstance(current, int | float):
        return _number(current, value)
    if isinstance(current, str) and not isinstance(value, str):
        raise TypeError(f"expected text, not {value!r}")
    return value


def _number(current: float, value: Any) -> float:
    """``value`` as a finite, non-negative number of the type of ``current``."""
    if isinstance(value, bool):
        raise TypeError(f"expected a number, not {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"expected a number, not {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise TypeError(f"expected a finite number of at least 0, not {value!r}")
    if isinstance(current, float):
        return number
    if not number.is_integer():
        raise TypeError(f"expected a whole number, not {value!r}")
    return int(number)


def _pairs(current: tuple[tuple[str, Any], ...], value: Any) -> tuple[tuple[str, float], ...]:
    """A table of name → number (weights) merged over the default pairs ``current``: a mapping,
    a list of ``[name, number]`` pairs, or in text the same in JSON or ``name=number,...``."""
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in "{[":
            value = json.loads(text)
        else:
            parts = [part.strip() for part in text.split(",") if part.strip()]
            if not all("=" in part for part in parts):
                raise TypeError(f"expected name=number,..., not {value!r}")
            value = {k.strip(): v.strip() for k, v in (part.split("=", 1) for part in parts)}
    if isinstance(value, list | tuple):
        if not all(isinstance(v, list | tuple) and len(v) == 2 for v in value):
            raise TypeError(f"expected a table of name = number, not {value!r}")
        value = dict(value)
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a table of name = number, not {value!r}")
    merged = dict(current)
    unknown = sorted(str(k) for k in value if str(k) not in merged)
    if unknown:
        raise TypeError(f"unknown name(s) {', '.join(unknown)} (known: {', '.join(merged)})")
    merged.update({str(k): float(_number(1.0, v)) for k, v in value.items()})
    return tuple(sorted(merged.items()))


def params_to_dict(params: Any) -> dict[str, Any]:
    """JSON-compatible mapping of every parameter: tuples as lists, name → number pairs (weights)
    as a mapping, the shapes :func:`params_from_dict` and a TOML table take."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        if isinstance(value, tuple) and value and all(isinstance(v, tuple) for v in value):
            value = {str(k): v for k, v in value}
        elif isinstance(value, tuple):
            value = list(value)
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
