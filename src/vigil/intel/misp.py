"""MISP feeds and event exports → :class:`Indicator` values.

A MISP feed (the format MISP's "feeds" publish) is a folder with ``manifest.json`` (event uuid →
summary) and one ``<uuid>.json`` per event (``{"Event": {...}}``); an event file, a REST export
``{"response": [{"Event": ...}]}``, or an attribute search (``attributes/restSearch``:
``{"response": {"Attribute": [...]}}``) is accepted alone too. Attributes are read from
``Event.Attribute`` and ``Event.Object[].Attribute``:

* ``ip-src`` / ``ip-dst`` (address or CIDR), ``ip-src|port`` / ``ip-dst|port``, ``domain|ip``;
* ``AS``; ``user-agent``.

The attribute ``uuid`` is the indicator id; ``to_ids`` marks it verified; ``deleted`` revokes it;
``first_seen`` / ``last_seen`` are observation times, not validity, so only ``first_seen`` is used
(as ``valid_from``). The event's ``threat_level_id`` gives the confidence (1 high → 90, 2 → 70,
3 → 40). Other attribute types are counted as ignored.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vigil.intel.indicator import BadValue, Indicator, IndicatorKind, normalize_value
from vigil.intel.stix import StixResult
from vigil.paths import source_name

_TYPES = {
    "ip-src": IndicatorKind.ip, "ip-dst": IndicatorKind.ip,
    "ip-src|port": IndicatorKind.ip, "ip-dst|port": IndicatorKind.ip,
    "domain|ip": IndicatorKind.ip, "AS": IndicatorKind.asn, "user-agent": IndicatorKind.user_agent,
}
_CONFIDENCE = {"1": 90, "2": 70, "3": 40}


def _value(kind_name: str, value: str) -> str:
    if kind_name.endswith("|port"):
        return value.rsplit("|", 1)[0]
    if kind_name == "domain|ip":
        return value.split("|", 1)[1]
    return value


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _attributes(event: dict[str, Any]) -> list[dict[str, Any]]:
    attrs = list(event.get("Attribute") or [])
    for obj in event.get("Object") or []:
        if isinstance(obj, dict):
            attrs.extend(obj.get("Attribute") or [])
    return [a for a in attrs if isinstance(a, dict)]


def load_event(doc: Any, source: str, where: str, result: StixResult) -> None:
    event = doc.get("Event") if isinstance(doc, dict) else None
    if not isinstance(event, dict):
        result.rejects.append((where, "not a MISP event ({\"Event\": ...})"))
        return
    confidence = _CONFIDENCE.get(str(event.get("threat_level_id", "")))
    name = event.get("info") if isinstance(event.get("info"), str) else None
    for i, attr in enumerate(_attributes(event)):
        _load_attribute(attr, f"{where}#Attribute[{i}]", source, name, confidence, result)


def _load_attribute(attr: dict[str, Any], at: str, source: str, name: str | None,
                    confidence: int | None, result: StixResult) -> None:
    """One attribute as an indicator (or counted as ignored, or rejected at ``at``)."""
    kind = _TYPES.get(str(attr.get("type")))
    if kind is None:
        result.ignored += 1
        return
    try:
        if not isinstance(attr.get("uuid"), str) or not isinstance(attr.get("value"), str):
            raise BadValue("attribute without uuid or value")
        result.indicators.append(Indicator(
            id=attr["uuid"], kind=kind,
            value=normalize_value(kind, _value(str(attr["type"]), attr["value"])),
            source=source, name=name, valid_from=_time(attr.get("first_seen")),
            revoked=attr.get("deleted") in (True, "1", 1), confidence=confidence,
            labels=("to_ids",) if attr.get("to_ids") in (True, "1", 1) else (),
        ))
    except (BadValue, ValueError) as exc:
        result.rejects.append((at, str(exc)))


def load_misp(doc: Any, source: str, where: str) -> StixResult:
    """A single event, a REST export of events, or one of attributes (``attributes/restSearch``:
    ``{"response": {"Attribute": [...]}}``, each with its event's summary under ``Event``)."""
    result = StixResult()
    response = doc.get("response") if isinstance(doc, dict) else None
    if isinstance(response, list):
        for i, item in enumerate(response):
            load_event(item, source, f"{where}#response[{i}]", result)
    elif isinstance(response, dict) and isinstance(response.get("Attribute"), list):
        for i, attr in enumerate(response["Attribute"]):
            at = f"{where}#response.Attribute[{i}]"
            if not isinstance(attr, dict):
                result.rejects.append((at, "not a MISP attribute (an object)"))
                continue
            event = attr.get("Event") if isinstance(attr.get("Event"), dict) else {}
            name = event.get("info") if isinstance(event.get("info"), str) else None
            confidence = _CONFIDENCE.get(str(event.get("threat_level_id", "")))
            _load_attribute(attr, at, source, name, confidence, result)
    else:
        load_event(doc, source, where, result)
    return result


def load_feed(folder: Path, source: str) -> StixResult:
    """A MISP feed folder: the events its ``manifest.json`` lists."""
    result = StixResult()
    try:
        manifest = json.loads((folder / "manifest.json").read_bytes())
    except (OSError, ValueError) as exc:
        result.rejects.append((source_name(folder / "manifest.json"), f"unreadable manifest: {exc}"))
        return result
    for uuid in sorted(manifest if isinstance(manifest, dict) else []):
        path = folder / f"{uuid}.json"
        try:
            doc = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            result.rejects.append((source_name(path), f"unreadable event: {exc}"))
            continue
        load_event(doc, source, source_name(path), result)
    return result
