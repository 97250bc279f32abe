"""What the readers yield: a record read, or input that could not be read, with its location."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vigil.leaks.redact import redact_slice
from vigil.paths import source_name

#: Bytes of offending input kept in a ReadError.
ERROR_TEXT_MAX = 200


def excerpt_of(data: bytes) -> bytes:
    """The first ``ERROR_TEXT_MAX`` bytes of ``data``, with any secret the cut splits redacted
    (:func:`vigil.leaks.redact.redact_slice`; the whole secrets a reject's text keeps are
    redacted when it is made)."""
    return redact_slice(data, 0, ERROR_TEXT_MAX)


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One JSON object read from ``source`` at ``line`` (see the module docstring for ``line``)."""

    source: str
    line: int
    data: dict[str, Any]
    shape_hint: str | None = None
    #: The record's own bytes, when a JSON line held just this object: kept as the raw record
    #: as read (else the raw record is ``data`` serialized again).
    raw: bytes | None = None


@dataclass(frozen=True, slots=True)
class RawSpan:
    """One item of a JSON document's collection (a Graph page's ``value``, ``records``, an array),
    not decoded yet: its bytes as read, ``line`` its number in the collection
    (``vigil.ingest.spans``)."""

    source: str
    line: int
    raw: bytes
    shape_hint: str | None = None


@dataclass(frozen=True, slots=True)
class ReadError:
    """Input that could not be read: ``text`` is at most ``ERROR_TEXT_MAX`` bytes of it.

    ``line`` is 0 when the whole source is at fault (missing file, unreadable path).
    """

    source: str
    line: int
    reason: str
    text: bytes = b""

    def __post_init__(self) -> None:  # a path typed or globbed as it was given may be any bytes
        object.__setattr__(self, "source", source_name(self.source))


Item = RawRecord | ReadError
#: What a reader asked for ``spans`` yields.
SpanItem = RawRecord | ReadError | RawSpan
