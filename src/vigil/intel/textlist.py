"""CSV and plain-text indicator lists.

CSV: a header row (``#`` comment lines may come before it, and the header may be the last of
them, as abuse.ch writes it); columns matched case-insensitively: the value (``value``,
``indicator``, ``ioc``, ``ip``, ``address``, ``cidr``, ``ip_address``, ``dst_ip``), optional
``type`` / ``kind`` (``ip``, ``cidr``, ``asn``, ``user-agent``...; guessed from the value when
absent), ``name`` / ``description``, ``valid_from`` (or ``first_seen[_utc]``), ``valid_until``,
``confidence`` (0-100, or STIX's high / medium / low: 85 / 50 / 15), ``id``. Plain text: one IP
address, CIDR or ``AS`` number per line; ``#`` and ``;`` start comments. With ``kind`` given every
line is of that kind (e.g. a list of user agents). Lists are taken as verified-malicious unless
added as unverified. Ids are derived from source, kind and value, so re-adding a list updates it.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from vigil.intel.indicator import (
    BadValue,
    Indicator,
    IndicatorKind,
    derived_id,
    guess_kind,
    normalize_value,
)
from vigil.intel.stix import StixResult

_VALUE = ("value", "indicator", "ioc", "ip", "address", "cidr", "ip_address", "dst_ip")
_KINDS = {"ip": IndicatorKind.ip, "ipv4": IndicatorKind.ip, "ipv6": IndicatorKind.ip,
          "cidr": IndicatorKind.ip, "ip-src": IndicatorKind.ip, "ip-dst": IndicatorKind.ip,
          "asn": IndicatorKind.asn, "as": IndicatorKind.asn, "useragent": IndicatorKind.user_agent,
          "user-agent": IndicatorKind.user_agent, "user_agent": IndicatorKind.user_agent}


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _kind(given: str | None, value: str) -> IndicatorKind:
    if given:
        kind = _KINDS.get(given.strip().lower())
        if kind is None:
            raise BadValue(f"unknown type {given.strip()[:40]!r}")
        return kind
    kind = guess_kind(value)
    if kind is None:
        raise BadValue(f"not an IP address, network or AS number: {value.strip()[:80]!r}")
    return kind


def _indicator(source: str, kind: IndicatorKind, value: str, verified: bool,
               **extra: object) -> Indicator:
    value = normalize_value(kind, value)
    labels = ("malicious-activity",) if verified else ()
    ind_id = str(extra.pop("id", "") or "") or derived_id("list", source, kind, value)
    return Indicator(id=ind_id, kind=kind, value=value, source=source, labels=labels,
                     **extra)  # type: ignore[arg-type]


#: STIX 2.1 Appendix A's High-Medium-Low scale, as 0-100 confidences.
_WORDS = {"high": 85, "medium": 50, "med": 50, "low": 15, "none": 0}


def _confidence(text: str) -> int | None:
    """A CSV ``confidence``: 0-100 (a fraction rounds), or a High-Medium-Low word."""
    if not text:
        return None
    word = _WORDS.get(text.casefold())
    if word is not None:
        return word
    try:
        value = round(float(text))
    except (ValueError, OverflowError):
        raise BadValue(f"confidence {text!r}: not 0-100 nor high, medium, low") from None
    if not 0 <= value <= 100:
        raise BadValue(f"confidence {text!r}: not 0-100")
    return value


def _commented_header(lines: list[str]) -> tuple[int, list[str] | None]:
    """How many ``#`` lines open a CSV feed, and the last of them read as a header when it names
    a value column (abuse.ch writes ``# "first_seen_utc","dst_ip",...`` above its rows)."""
    skip, header = 0, None
    while skip < len(lines) and lines[skip].lstrip().startswith("#"):
        cells = next(csv.reader([lines[skip].lstrip().lstrip("#").strip()]), [])
        if any(c.strip().lower() in _VALUE for c in cells):
            header = cells
        skip += 1
    return skip, header


def load_csv(text: str, source: str, where: str, verified: bool = True,
             kind: IndicatorKind | None = None) -> StixResult:
    """Rows of a CSV list (module doc); ``#`` lines before the header, and rows whose first cell
    starts with ``#``, are comments (a commented header is taken when the file has no other)."""
    result = StixResult()
    lines = text.splitlines(keepends=True)
    skip, commented = _commented_header(lines)
    reader = csv.DictReader(io.StringIO("".join(lines[skip:])))
    first = skip + 2  # the line of the first row
    fields = {f.strip().lower(): f for f in reader.fieldnames or []}
    if commented is not None and not any(c in fields for c in _VALUE):
        reader = csv.DictReader(io.StringIO("".join(lines[skip:])), fieldnames=commented)
        first = skip + 1
        fields = {f.strip().lower(): f for f in commented}
    value_col = next((fields[c] for c in _VALUE if c in fields), None)
    if value_col is None:
        result.rejects.append((where, f"no value column (one of {', '.join(_VALUE)})"))
        return result

    def col(*names: str) -> str | None:
        return next((fields[n] for n in names if n in fields), None)

    type_col, name_col = col("type", "kind"), col("name", "description", "comment")
    vf_col, vu_col, conf_col, id_col = (col("valid_from", "first_seen", "first_seen_utc"),
                                        col("valid_until", "expires"), col("confidence"), col("id"))
    for line, row in enumerate(reader, start=first):
        value = (row.get(value_col) or "").strip()
        if not value or next(iter(row.values()), "").lstrip().startswith("#"):
            continue
        try:
            k = kind or _kind(row.get(type_col) if type_col else None, value)
            conf = (row.get(conf_col) or "").strip() if conf_col else ""
            result.indicators.append(_indicator(
                source, k, value, verified, name=(row.get(name_col) or None) if name_col else None,
                valid_from=_time(row.get(vf_col)) if vf_col else None,
                valid_until=_time(row.get(vu_col)) if vu_col else None,
                confidence=_confidence(conf),
                id=row.get(id_col) if id_col else None,
            ))
        except (BadValue, ValueError) as exc:
            result.rejects.append((f"{where}:{line}", str(exc)))
    return result


def load_text(text: str, source: str, where: str, verified: bool = True,
              kind: IndicatorKind | None = None) -> StixResult:
    result = StixResult()
    for line, raw in enumerate(text.splitlines(), start=1):
        value = raw.strip() if kind is IndicatorKind.user_agent else raw.split("#")[0].split(";")[0].strip()
        if not value or raw.lstrip().startswith(("#", ";")):
            continue
        try:
            result.indicators.append(_indicator(source, kind or _kind(None, value), value, verified))
        except BadValue as exc:
            result.rejects.append((f"{where}:{line}", str(exc)))
    return result
