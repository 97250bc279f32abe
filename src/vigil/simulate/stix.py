"""The simulated threat-intelligence feed: a STIX 2.1 bundle (OASIS STIX 2.1, §4 indicator).

Each indicator has ``pattern_type: "stix"`` and a pattern over ``ipv4-addr:value`` (an address or a
CIDR), ``ipv6-addr:value`` or the HTTP ``User-Agent`` header, ``valid_from`` and ``valid_until``,
and may be ``revoked``. Indicators used by attacks are valid at attack time; decoy indicators are
revoked or expired before the matching activity; the rest are noise that matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vigil.simulate.rand import DAY, Rand, iso_ms

PRODUCER = "identity--5b7f0e9c-2f4e-4c33-9d1e-7a9f1f0c6a11"


@dataclass(frozen=True, slots=True)
class Indicator:
    id: str
    kind: str  # "ipv4" | "ipv4-cidr" | "ipv6" | "user-agent"
    value: str
    valid_from: int
    valid_until: int | None
    name: str
    revoked: bool = False
    confidence: int = 80

    @property
    def pattern(self) -> str:
        if self.kind == "user-agent":
            quoted = self.value.replace("'", "\\'")
            return (f"[network-traffic:extensions.'http-request-ext'.request_header."
                    f"'User-Agent' = '{quoted}']")
        obj = "ipv6-addr" if self.kind == "ipv6" else "ipv4-addr"
        return f"[{obj}:value = '{self.value}']"


def indicator(rng: Rand, kind: str, value: str, valid_from: int, valid_until: int | None,
              name: str, revoked: bool = False) -> Indicator:
    return Indicator(f"indicator--{rng.guid()}", kind, value, valid_from, valid_until, name,
                     revoked, confidence=rng.pick((60, 70, 80, 85, 90, 95)))


def noise(rng: Rand, start: int, end: int, n: int) -> list[Indicator]:
    """Indicators for addresses the tenant never sees (TEST-NET and unused VPS space), one of
    them long expired, and a user agent nobody uses."""
    out = []
    for i in range(n):
        value = f"{rng.pick(('203.0.113', '198.51.100', '192.0.2', '45.142.212'))}.{rng.randrange(1, 255)}"
        vf = start - rng.randrange(5, 200) * DAY
        out.append(indicator(rng, "ipv4", value, vf, end + rng.randrange(30, 365) * DAY,
                             f"C2 node {i + 1}"))
    out.append(indicator(rng, "ipv4", "45.142.212.61", start - 400 * DAY, start - 100 * DAY,
                         "Retired C2 node"))
    out.append(indicator(rng, "user-agent", "MicroBurst/1.1 (Invoke-EnumerateAzureBlobs)",
                         start - 90 * DAY, None, "Cloud storage enumeration tool"))
    return out


def bundle(rng: Rand, indicators: list[Indicator], created: int) -> dict[str, Any]:
    """A STIX 2.1 bundle of an identity (the producer) and ``indicators`` in the given order."""
    identity = {"type": "identity", "spec_version": "2.1", "id": PRODUCER,
                "created": iso_ms(created), "modified": iso_ms(created),
                "name": "Vigil simulated threat feed", "identity_class": "organization"}
    objects: list[dict[str, Any]] = [identity]
    for ind in indicators:
        obj: dict[str, Any] = {
            "type": "indicator",
            "spec_version": "2.1",
            "id": ind.id,
            "created_by_ref": PRODUCER,
            "created": iso_ms(ind.valid_from),
            "modified": iso_ms(ind.valid_from),
            "name": ind.name,
            "indicator_types": ["malicious-activity"],
            "pattern": ind.pattern,
            "pattern_type": "stix",
            "pattern_version": "2.1",
            "valid_from": iso_ms(ind.valid_from),
            "confidence": ind.confidence,
            "labels": ["workload-identity-attack"],
        }
        if ind.valid_until is not None:
            obj["valid_until"] = iso_ms(ind.valid_until)
        if ind.revoked:
            obj["revoked"] = True
            obj["modified"] = iso_ms(ind.valid_from + 3 * DAY)
        objects.append(obj)
    return {"type": "bundle", "id": f"bundle--{rng.guid()}", "objects": objects}
