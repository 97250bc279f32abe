"""STIX 2.1 indicators → :class:`Indicator` values (OASIS STIX 2.1 §4.4 Indicator, §9 Patterning).

Accepts a bundle (``{"type": "bundle", "objects": [...]}``), a TAXII envelope (``{"objects": ...}``),
a list of objects or one object. Of every indicator id only the newest version (``modified``)
counts. ``pattern_type`` must be ``stix``. Supported patterns: observation expressions joined by
``OR``, each a comparison or an ``OR`` of comparisons (either may be parenthesised; whitespace
between tokens is optional, §9.4), on

* ``ipv4-addr:value`` / ``ipv6-addr:value`` with ``=``, ``ISSUBSET`` or ``IN (...)``;
* ``network-traffic:src_ref.value`` / ``dst_ref.value`` (addresses);
* ``autonomous-system:number``;
* ``network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'``.

``AND``, ``NOT``, ``FOLLOWEDBY`` and qualifiers (``WITHIN``, ``REPEATS``, ``START``) cannot be
decided on one record: such indicators are rejected with the reason; indicators about other
observables (domains, hashes, ...) are counted as ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from vigil.intel.indicator import BadValue, Indicator, IndicatorKind, normalize_value

_PATHS = {
    "ipv4-addr:value": IndicatorKind.ip,
    "ipv6-addr:value": IndicatorKind.ip,
    "network-traffic:src_ref.value": IndicatorKind.ip,
    "network-traffic:dst_ref.value": IndicatorKind.ip,
    "autonomous-system:number": IndicatorKind.asn,
    "network-traffic:extensions.'http-request-ext'.request_header.'user-agent'": IndicatorKind.user_agent,
}
# §9.4: whitespace between tokens is optional ("x:value='a'") and "==" is "="
_TERM = re.compile(r"^\s*(?P<path>[a-z0-9-]+:[^\s=!<>]+?)(?:\s*(?P<eq>==?)|\s+(?P<op>ISSUBSET|IN))"
                   r"\s*(?P<value>.+?)\s*$", re.S)
_STRING = re.compile(r"'((?:[^'\\]|\\.)*)'")
_UNSUPPORTED = re.compile(r"\b(AND|NOT|FOLLOWEDBY|WITHIN|REPEATS|START|STOP|LIKE|MATCHES)\b")


class PatternError(ValueError):
    pass


class Ignored(ValueError):
    """A valid pattern about observables Vigil does not match (domains, files, ...)."""


@dataclass
class StixResult:
    indicators: list[Indicator] = field(default_factory=list)
    rejects: list[tuple[str, str]] = field(default_factory=list)
    ignored: int = 0
    #: (source, id) → ``modified`` of every indicator whose current version was read, whether it
    #: gave values, was ignored or was rejected: its stored values of an older version are replaced.
    versions: dict[tuple[str, str], datetime | None] = field(default_factory=dict)


def _scan(text: str) -> Iterator[tuple[int, int]]:
    """(index, bracket depth) of every character of ``text`` outside quoted strings."""
    depth, quoted, i = 0, False, 0
    while i < len(text):
        c = text[i]
        if quoted:
            if c == "\\":
                i += 1
            elif c == "'":
                quoted = False
        elif c == "'":
            quoted = True
        else:
            if c in "])":
                depth -= 1
            yield i, depth
            if c in "[(":
                depth += 1
        i += 1


def _split_top(text: str, sep: str) -> list[str]:
    """Split on the keyword ``sep`` outside quotes, brackets and parentheses (§9.4: it may be
    surrounded by any whitespace, or none next to a bracket, parenthesis or quote)."""
    parts: list[str] = []
    start = 0
    for i, depth in _scan(text):
        if (depth == 0 and text.startswith(sep, i)
                and (i == 0 or text[i - 1].isspace() or text[i - 1] in "])'")
                and (i + len(sep) == len(text) or text[i + len(sep)].isspace()
                     or text[i + len(sep)] in "[(")):
            parts.append(text[start:i])
            start = i + len(sep)
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _unwrap(text: str, opening: str, closing: str) -> str | None:
    """The inside of ``text`` when it is one ``opening ... closing`` group, else None."""
    if not (text.startswith(opening) and text.endswith(closing)):
        return None
    for i, depth in _scan(text):
        if depth == 0 and i > 0 and i < len(text) - 1:
            return None  # the first group closes before the end: "[a] OR [b]"-like
    return text[1:-1].strip()


def _observations(text: str) -> list[str]:
    """The comparison expressions of ``[...]`` observations joined by OR, through parentheses."""
    out: list[str] = []
    for part in _split_top(text, "OR"):
        inner = _unwrap(part, "[", "]")
        if inner is not None:
            out.append(inner)
            continue
        grouped = _unwrap(part, "(", ")")
        if grouped is None:
            raise PatternError("expected [observation] OR [observation]")
        out += _observations(grouped)
    return out


def _comparisons(text: str) -> list[str]:
    """The comparisons of an expression joined by OR, through parentheses."""
    out: list[str] = []
    for part in _split_top(text, "OR"):
        grouped = _unwrap(part, "(", ")")
        out += [part] if grouped is None else _comparisons(grouped)
    return out


def _strip_quoted(text: str) -> str:
    return _STRING.sub("''", text)


def parse_pattern(pattern: str) -> list[tuple[IndicatorKind, str]]:
    """(kind, value) for every comparison of a supported pattern; raises PatternError / Ignored."""
    if _UNSUPPORTED.search(_strip_quoted(pattern)):
        raise PatternError("pattern uses AND / NOT / FOLLOWEDBY / a qualifier")
    values: list[tuple[IndicatorKind, str]] = []
    other = 0
    for observation in _observations(pattern.strip()):
        for term in _comparisons(observation):
            m = _TERM.match(term)
            if m is None:
                raise PatternError("unsupported comparison")
            kind = _PATHS.get(m["path"].lower())
            if kind is None:
                other += 1
                continue
            values.extend((kind, v) for v in _values(m["op"] or "=", m["value"], kind))
    if not values:
        raise Ignored(f"no supported observable ({other} other)")
    return values


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _values(op: str, raw: str, kind: IndicatorKind) -> list[str]:
    raw = raw.strip()
    if op == "IN":
        if not (raw.startswith("(") and raw.endswith(")")):
            raise PatternError("IN needs a parenthesised list")
        inner = raw[1:-1]
        strings = [_unescape(m.group(1)) for m in _STRING.finditer(inner)]
        rest = _STRING.sub("", inner).replace(",", " ").split()
        if kind is IndicatorKind.asn and all(x.isdigit() for x in rest):
            return strings + rest
        if rest:
            raise PatternError("IN list items must be quoted strings")
        return strings
    m = _STRING.fullmatch(raw)
    if m is not None:
        return [_unescape(m.group(1))]
    if kind is IndicatorKind.asn and raw.isdigit():
        return [raw]
    raise PatternError("expected a quoted string")


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _objects(doc: Any) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict) and isinstance(doc.get("objects"), list):
        return doc["objects"]
    if isinstance(doc, dict) and doc.get("type"):
        return [doc]
    raise PatternError("not a STIX bundle, envelope or object")


def modified_at(obj: dict[str, Any]) -> datetime | None:
    """An object's ``modified`` as a time (STIX 2.1 §3.2: any precision of fractional seconds, so
    ``...:00Z`` is older than ``...:00.5Z`` though it sorts after it as text); None when absent or
    unreadable."""
    try:
        return _time(obj.get("modified"))
    except ValueError:
        return None


def latest(objects: list[Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(position, indicator) keeping the newest ``modified`` of each id (the later one on a tie;
    a version without a readable ``modified`` loses to one with it)."""
    newest: dict[str, tuple[int, dict[str, Any], datetime | None]] = {}
    for i, obj in enumerate(objects):
        if isinstance(obj, dict) and obj.get("type") == "indicator" and isinstance(obj.get("id"), str):
            old = newest.get(obj["id"])
            at = modified_at(obj)
            if old is None or old[2] is None or (at is not None and at >= old[2]):
                newest[obj["id"]] = (i, obj, at)
    yield from sorted(((i, obj) for i, obj, _ in newest.values()), key=lambda x: x[0])


def load_stix(doc: Any, source: str, where: str) -> StixResult:
    result = StixResult()
    try:
        objects = _objects(doc)
    except PatternError as exc:
        result.rejects.append((where, str(exc)))
        return result
    for i, obj in latest(objects):
        at = f"{where}#objects[{i}]"
        result.versions[(source, obj["id"])] = modified_at(obj)
        try:
            if obj.get("pattern_type", "stix") != "stix":
                raise Ignored(f"pattern_type {obj.get('pattern_type')!r}")
            pairs = parse_pattern(str(obj.get("pattern", "")))
            types = obj.get("indicator_types") or obj.get("labels") or []
            for kind, value in pairs:
                result.indicators.append(Indicator(
                    id=obj["id"], kind=kind, value=normalize_value(kind, value), source=source,
                    name=obj.get("name") if isinstance(obj.get("name"), str) else None,
                    valid_from=_time(obj.get("valid_from")),
                    valid_until=_time(obj.get("valid_until")),
                    revoked=obj.get("revoked") is True,
                    confidence=obj["confidence"] if isinstance(obj.get("confidence"), int) else None,
                    labels=tuple(str(t) for t in types if isinstance(t, str)),
                    modified=modified_at(obj),
                ))
        except Ignored:
            result.ignored += 1
        except (PatternError, BadValue, ValueError) as exc:
            result.rejects.append((f"{at} ({obj['id']})", str(exc)))
    return result
