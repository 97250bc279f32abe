"""Why a detection fired, for people: its type's description and its ``additionalInfo`` as labelled facts.

Detectors put their evidence in ``additionalInfo`` (Graph's ``[{"Key", "Value"}]``): the unfamiliar
properties and the baseline they were compared with, the matched indicator and its feed, the leaked
keyId and where it was found. The console shows every entry, in the detector's order, with a
readable label; values stay JSON (strings, numbers, lists, objects) for the page to render. Entries
whose value is empty are left out. :func:`referenced_ids` collects the strings a detection names, so
the sign-ins it refers to can be marked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from vigil.model import RiskDetection

#: riskEventType → one sentence for the detail view (Entra's descriptions, workload-identity wording).
DESCRIPTIONS: dict[str, str] = {
    "suspiciousSignins": "Sign-in properties or patterns unusual for this workload identity.",
    "leakedCredentials": "A valid credential of this workload identity was found exposed.",
    "investigationsThreatIntelligence": (
        "Activity matches known attacker infrastructure or patterns (threat intelligence)."
    ),
    "maliciousApplication": "The application was disabled for abuse (malicious application).",
    "suspiciousApplication": "The application shows signs of being used for abuse.",
    "anomalousServicePrincipalActivity": (
        "Unusual changes to credentials, permissions or directory objects by this identity."
    ),
    "suspiciousAPITraffic": "Unusual Microsoft Graph traffic from this workload identity.",
    "adminConfirmedServicePrincipalCompromised": "An administrator confirmed it compromised.",
}

#: Keys whose label is not just the camelCase split.
_LABELS = {
    "unfamiliarProperties": "Unfamiliar properties",
    "keyId": "Credential keyId",
    "alertUrl": "Alert / finding URL",
    "location": "Where it was found",
    "matchedField": "Matched field",
    "matchedValue": "Matched value",
    "ipAddress": "IP address",
    "sourceIpAddress": "Source IP address",
    "asn": "ASN",
}
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def label(key: str) -> str:
    """``unfamiliarProperties`` → ``Unfamiliar properties``; ``ipAddress`` → ``IP address``."""
    if key in _LABELS:
        return _LABELS[key]
    words = _WORDS.findall(key) or [key]
    text = " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)
    text = text.replace("date time", "time")
    return text[:1].upper() + text[1:]


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def explain(d: RiskDetection) -> dict[str, Any]:
    """``{"description", "facts": [{"key", "label", "value"}]}`` for one detection."""
    facts = [
        {"key": e.key, "label": label(e.key), "value": e.value}
        for e in d.additional_info
        if not _empty(e.value)
    ]
    return {"description": DESCRIPTIONS.get(d.risk_event_type, ""), "facts": facts}


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    if depth > 4:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for v in value[:200]:
            yield from _strings(v, depth + 1)
    elif isinstance(value, dict):
        for v in list(value.values())[:200]:
            yield from _strings(v, depth + 1)


def referenced_ids(d: RiskDetection) -> set[str]:
    """The request / correlation ids and every string value a detection carries."""
    found = {i for i in (d.request_id, d.correlation_id) if i}
    for e in d.additional_info:
        found.update(s for s in _strings(e.value) if 0 < len(s) <= 64)
    return found
