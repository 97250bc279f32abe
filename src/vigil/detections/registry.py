"""The registry of detectors: a plain dict from riskEventType id to detector class.

``adminConfirmedServicePrincipalCompromised`` has no detector: it comes from the confirm action
(``vigil.risk``). ``tests/detections/test_registry.py`` fails when a detector module is missing here.
"""

from __future__ import annotations

from vigil.detections.anomalous_service_principal_activity import (
    AnomalousServicePrincipalActivity,
)
from vigil.detections.base import Detector
from vigil.detections.investigations_threat_intelligence import InvestigationsThreatIntelligence
from vigil.detections.leaked_credentials import LeakedCredentials
from vigil.detections.malicious_application import MaliciousApplication
from vigil.detections.suspicious_api_traffic import SuspiciousAPITraffic
from vigil.detections.suspicious_application import SuspiciousApplication
from vigil.detections.suspicious_signins import SuspiciousSignins

REGISTRY: dict[str, type[Detector]] = {
    "investigationsThreatIntelligence": InvestigationsThreatIntelligence,
    "leakedCredentials": LeakedCredentials,
    "maliciousApplication": MaliciousApplication,
    "suspiciousApplication": SuspiciousApplication,
    "suspiciousSignins": SuspiciousSignins,
    "anomalousServicePrincipalActivity": AnomalousServicePrincipalActivity,
    "suspiciousAPITraffic": SuspiciousAPITraffic,
}

#: riskEventTypes that are produced by something other than a detector.
NOT_DETECTORS = frozenset({"adminConfirmedServicePrincipalCompromised"})


def create_all() -> list[Detector]:
    """One instance of every registered detector, in registry order."""
    return [cls() for cls in REGISTRY.values()]
