"""Model objects ↔ JSON-compatible documents, for the ``data`` columns.

Uses msgspec's dataclass support: ``to_doc`` gives builtins (datetimes as RFC 3339 strings, enums as
their values), ``from_doc`` validates and rebuilds the frozen dataclass, nested types included.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

T = TypeVar("T")


def to_doc(obj: Any) -> Any:
    return msgspec.to_builtins(obj)


def from_doc(doc: Any, type_: type[T]) -> T:
    return msgspec.convert(doc, type_, strict=False)
