"""The value a normalizer returns instead of a model object, and the exception used to build it.

Contract: public normalizers never raise on bad input. Inside a normalizer, field helpers raise
:class:`Invalid` (field name + reason); the normalizer's entry point catches it and returns
:class:`Rejected`, which the ingest layer counts and keeps together with the record's location.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Longest excerpt of an offending value quoted in a reason.
_QUOTE_MAX = 60


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that could not become a model object.

    ``kind`` is the record's kind when known (``signins``, ``audit``, ``graphactivity``,
    ``directory``), ``field`` the source field at fault (in the source's own spelling, dotted for
    nested fields, e.g. ``status.errorCode`` or ``targetResources[0].id``), or None when the record
    as a whole is at fault.
    """

    kind: str | None
    reason: str
    field: str | None = None


class Invalid(Exception):
    """Raised by field helpers for a missing or ill-typed field; never escapes a normalizer."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(field, reason)
        self.field = field
        self.reason = reason

    def rejected(self, kind: str | None) -> Rejected:
        return Rejected(kind, self.reason, self.field)


def quote(value: object) -> str:
    """Short ``repr`` of an offending value for a rejection reason."""
    text = repr(value)
    return text if len(text) <= _QUOTE_MAX else text[: _QUOTE_MAX - 3] + "..."


def missing(field: str) -> Invalid:
    return Invalid(field, "missing required field")


def wrong_type(field: str, expected: str, value: object) -> Invalid:
    """``expected`` names what belongs there, e.g. ``"a string"``."""
    if value is None or value == "":
        return missing(field)
    return Invalid(field, f"expected {expected}, got {type(value).__name__} {quote(value)}")
