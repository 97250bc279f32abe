"""investigationsThreatIntelligence: activity that matches threat intelligence or a known attack pattern.

Signal
    1. Indicator matches (:mod:`vigil.detections.indicator_matches`): a sign-in, app-only Graph
       request or app-initiated audit event from an IP address / network, ASN or user agent named
       by a threat-intelligence indicator (STIX 2.1, TAXII 2.1, MISP, CSV / text lists: see
       :mod:`vigil.intel`) that was in force at the record's time; revoked and expired indicators
       never match. New indicators are also matched against stored activity (retro-matching,
       :mod:`vigil.intel.service`), which yields the same detections at the original times.
    2. Password spray (:mod:`vigil.detections.password_spray`): one address failing client-secret
       authentication (7000215) against many service principals within an hour; the targets, and
       the ones where it then succeeded.
    3. Sign-in of a disabled principal (:mod:`vigil.detections.disabled_sign_ins`).
Features
    IP address, ASN, user agent, record time and result; indicator validity, type and confidence;
    7000215 failures and successes per source address; ``AccountEnabled`` changes in the audit log.
Known false positives
    Indicators for shared infrastructure (cloud NAT, Tor exits used by a legitimate privacy-minded
    integration); a CI address shared by many apps whose secrets were rotated together (spray
    ``low`` only).
Graph mapping
    riskEventType ``investigationsThreatIntelligence``; timing ``offline``; riskLevel ``high`` for a
    verified-malicious indicator matched by a successful sign-in or request, a spray target that
    then signed in, or a disabled principal's successful sign-in; ``medium`` for other indicator
    matches; ``low`` for spray targets where the spray only failed. additionalInfo names the
    indicator, its feed and validity (or the pattern and its parameters).
Example
    A VPS address listed in the tenant's STIX feed since 3 Oct signs in as "Account Provisioning"
    with its current secret on 21 Oct: one high detection at that sign-in, naming the indicator.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from vigil.detections.base import DetectionContext, Records
from vigil.detections.disabled_sign_ins import detect_disabled_sign_ins
from vigil.detections.indicator_matches import TYPE, IndicatorLookup, match_indicators
from vigil.detections.password_spray import detect_spray
from vigil.model import RiskDetection


class IndicatorSource(Protocol):
    """The indicators in force now; implementations reload when the stored set changes."""

    def current(self) -> IndicatorLookup: ...


class InvestigationsThreatIntelligence:
    risk_event_type: ClassVar[str] = TYPE

    def __init__(self, indicators: IndicatorSource | None = None) -> None:
        self._indicators = indicators

    def detect(self, records: Records, ctx: DetectionContext) -> list[RiskDetection]:
        out: list[RiskDetection] = []
        if self._indicators is not None:
            out += self.match(records, self._indicators.current(), ctx)
        out += detect_spray(records, ctx)
        out += detect_disabled_sign_ins(records, ctx)
        return out

    def match(self, records: Records, lookup: IndicatorLookup,
              ctx: DetectionContext) -> list[RiskDetection]:
        """Indicator matches only (what retro-matching runs with the new indicators)."""
        return [] if lookup.empty else match_indicators(records, lookup, ctx)
