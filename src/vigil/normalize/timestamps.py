"""Timestamp parsing: every time Vigil keeps is a timezone-aware UTC ``datetime``.

Accepted forms (all seen in Entra exports):

* ISO 8601 / RFC 3339 as Graph, Log Analytics and diagnostic settings write it: ``Z`` or a
  ``±hh:mm`` offset, any number of fraction digits (Entra writes 7; digits past the 6th are
  truncated, not rounded), ``T`` or a space between date and time. No offset means UTC.
* The Azure portal's CSV export form ``M/D/YYYY, h:mm:ss[.fff] AM|PM`` (columns suffixed
  ``[UTC]``), read as UTC; day first (``D/M/YYYY, HH:mm:ss``, a browser or spreadsheet in
  another locale) while :data:`DAY_FIRST` is set: the CSV reader decides a file's order from its
  dates (``vigil.ingest.csv_reader``) and ``vigil.normalize.dispatch`` sets it for its rows.
* A ``datetime`` object (naive = UTC).

No regexes and no dateutil: the fast path is one ``datetime.fromisoformat`` call (C, ~0.15 µs).
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime

from vigil.normalize.rejected import Invalid, quote, wrong_type

_fromisoformat = datetime.fromisoformat
#: Slash dates are day first (``D/M/YYYY``) in what is being normalized (module doc).
DAY_FIRST: ContextVar[bool] = ContextVar("vigil_day_first", default=False)
#: The reader's ``shape_hint`` of a CSV row whose file writes dates day first.
HINT_DAY_FIRST = "csv:day-first"


def parse_time(value: object, field: str) -> datetime:
    """Parse ``value`` into an aware UTC datetime or raise :class:`Invalid` naming ``field``."""
    if type(value) is str:
        try:
            dt = _fromisoformat(value)
        except ValueError:
            dt = _parse_slow(value, field)
    elif isinstance(value, datetime):
        dt = value
    else:
        raise wrong_type(field, "a timestamp string", value)
    tz = dt.tzinfo
    if tz is UTC:
        return dt
    if tz is None:
        return dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC)
    except OverflowError:
        raise Invalid(field, f"timestamp out of range {quote(value)}") from None


def parse_optional_time(value: object, field: str) -> datetime | None:
    """Like :func:`parse_time` but None / empty string give None."""
    if value is None or value == "":
        return None
    return parse_time(value, field)


def _parse_slow(text: str, field: str) -> datetime:
    s = text.strip()
    if not s:
        raise Invalid(field, "missing required field")
    if "/" in s:
        return _parse_portal(s, field)
    # Trim the fraction to 6 digits and retry (older Pythons reject 7-digit fractions).
    dot = s.find(".", 10)
    if dot != -1:
        end = dot + 1
        while end < len(s) and s[end].isdigit():
            end += 1
        s = s[: min(end, dot + 7)] + s[end:]
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    try:
        return _fromisoformat(s)
    except ValueError:
        raise Invalid(field, f"invalid timestamp {quote(text)}") from None


def _parse_portal(s: str, field: str) -> datetime:
    """``8/2/2021, 1:29:25.983 PM`` (US month/day order, as the portal writes it), also without
    the comma (``8/2/2021 1:29:25 PM``, as a spreadsheet saves the file again)."""
    try:
        # browsers put a (narrow) no-break space before AM/PM
        s = s.replace("\u202f", " ").replace("\xa0", " ")
        date_part, comma, time_part = s.partition(",")
        if not comma:
            date_part, _, time_part = s.strip().partition(" ")
        month, day, year = (_digits(p) for p in date_part.strip().split("/"))
        day_first = DAY_FIRST.get()
        if day_first:
            month, day = day, month
        clock, _, meridiem = time_part.strip().partition(" ")
        hms = clock.split(":")
        hour, minute = _digits(hms[0]), _digits(hms[1])
        sec_text, _, frac = (hms[2] if len(hms) > 2 else "0").partition(".")
        micro = _digits((frac + "000000")[:6]) if frac else 0
        meridiem = meridiem.strip().upper()
        if meridiem in ("AM", "PM"):
            if not 1 <= hour <= 12:
                raise ValueError(s)
            hour = hour % 12 + (12 if meridiem == "PM" else 0)
        elif meridiem:
            raise ValueError(s)
        if month > 12 and 1 <= day <= 12:
            order, other = ("day", "month") if day_first else ("month", "day")
            raise Invalid(
                field,
                f"invalid timestamp {quote(s)}: month {month}; this file's dates read {order} "
                f"first and this one looks {other} first: export with ISO 8601 times, or with "
                "one date order throughout",
            )
        return datetime(year, month, day, hour, minute, _digits(sec_text), micro, tzinfo=UTC)
    except (ValueError, IndexError):
        raise Invalid(field, f"invalid timestamp {quote(s)}") from None


def _digits(text: str) -> int:
    """A number of plain ASCII digits (``int`` also takes signs, spaces and underscores)."""
    if not (text.isascii() and text.isdigit()):
        raise ValueError(text)
    return int(text)
