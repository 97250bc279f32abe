"""A threat-intelligence indicator: one observable value that is bad within a validity window.

Kinds: ``ip`` (an IPv4 / IPv6 address or network, kept as a network in CIDR form: ``203.0.113.7/32``,
``185.220.100.0/22``), ``asn`` (an autonomous system number) and ``userAgent`` (an HTTP user agent,
compared case-insensitively). An indicator from STIX whose pattern names several values becomes one
:class:`Indicator` per value, all with the STIX id.

*In force* at ``t``: not revoked, ``valid_from <= t`` and ``t < valid_until`` (STIX 2.1 §4.4:
``valid_until`` is the first instant it is no longer valid). *Verified malicious*: in force at some
time, typed as malicious (STIX ``indicator_types`` ``malicious-activity`` / ``compromised`` /
``attribution``, MISP ``to_ids``, or a list added as verified) and, when a confidence is given,
at least :data:`VERIFIED_CONFIDENCE`.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

VERIFIED_TYPES = frozenset({"malicious-activity", "compromised", "attribution", "to_ids"})
VERIFIED_CONFIDENCE = 50
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


class IndicatorKind(StrEnum):
    ip = "ip"
    asn = "asn"
    user_agent = "userAgent"


@dataclass(frozen=True, slots=True)
class Indicator:
    id: str
    kind: IndicatorKind
    value: str
    source: str
    name: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    revoked: bool = False
    confidence: int | None = None
    labels: tuple[str, ...] = ()
    modified: datetime | None = None  # the version's time (STIX ``modified``), when known

    def active_at(self, t: datetime) -> bool:
        return (
            not self.revoked
            and (self.valid_from is None or self.valid_from <= t)
            and (self.valid_until is None or t < self.valid_until)
        )

    @property
    def verified(self) -> bool:
        return (
            not self.revoked
            and bool(VERIFIED_TYPES.intersection(self.labels))
            and (self.confidence is None or self.confidence >= VERIFIED_CONFIDENCE)
        )


class BadValue(ValueError):
    pass


def normalize_value(kind: IndicatorKind, value: str) -> str:
    """The canonical text of a value; raises :class:`BadValue` with the reason."""
    text = value.strip()
    if kind is IndicatorKind.ip:
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError as exc:
            raise BadValue(f"not an IP address or network: {text[:80]!r}") from exc
        if isinstance(net, ipaddress.IPv6Network) and net.subnet_of(_MAPPED) and net != _MAPPED:
            # ::ffff:192.0.2.0/120 names IPv4 addresses (RFC 4291 §2.5.5.2): kept as 192.0.2.0/24
            v4 = ipaddress.IPv4Address(int(net.network_address) & 0xFFFFFFFF)
            return str(ipaddress.IPv4Network((v4, net.prefixlen - 96)))
        return str(net)
    if kind is IndicatorKind.asn:
        digits = text.upper().removeprefix("AS")
        if not digits.isdigit() or not 0 < int(digits) < 2**32:
            raise BadValue(f"not an AS number: {text[:80]!r}")
        return str(int(digits))
    if not text or len(text) > 1024:
        raise BadValue("empty or over-long user agent")
    return text


def guess_kind(value: str) -> IndicatorKind | None:
    """``ip`` or ``asn`` when ``value`` reads as one (plain-text lists), else None."""
    try:
        normalize_value(IndicatorKind.ip, value)
        return IndicatorKind.ip
    except BadValue:
        pass
    text = value.strip().upper()
    if text.startswith("AS") and text[2:].isdigit():
        return IndicatorKind.asn
    return None


def derived_id(prefix: str, source: str, kind: IndicatorKind, value: str) -> str:
    """A stable id for indicators whose format has none (CSV / text lists)."""
    digest = hashlib.sha256(f"{source}\x1f{kind}\x1f{value}".encode()).hexdigest()[:32]
    return f"{prefix}--{digest}"
