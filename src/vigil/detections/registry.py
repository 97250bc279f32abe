"""The registry of detectors: a plain dict from riskEventType id to detector class.

``adminConfirmedServicePrincipalCompromised`` has no detector: it comes from the confirm action
(``vigil.risk``). ``tests/detections/test_registry.py`` fails when a detector module is missing here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


def detector_params(overrides: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
    """Each detector's ``Params`` with ``overrides`` (the settings' ``detectors`` tables, keyed by
    riskEventType in any case: environment variable names are not case-sensitive) applied; only
    detectors that have parameters. ``ValueError`` names an unknown detector, one without
    parameters, or a wrong parameter."""
    tunable = {
        name: cls.params_type  # type: ignore[attr-defined]
        for name, cls in REGISTRY.items()
        if hasattr(cls, "params_type")
    }
    given: dict[str, Mapping[str, Any]] = {}
    for key, values in (overrides or {}).items():
        name = next((n for n in REGISTRY if n.lower() == key.lower()), None)
        if name is None or name not in tunable:
            what = "no such detector" if name is None else "this detector has no parameters"
            raise ValueError(
                f"detectors.{key}: {what} (detectors with parameters: {', '.join(tunable)})"
            )
        if not isinstance(values, Mapping):
            raise ValueError(f"detectors.{key}: expected a table of parameters, not {values!r}")
        given[name] = values
    out = {}
    for name, params_type in tunable.items():
        try:
            out[name] = params_type.from_dict(given.get(name))
        except ValueError as exc:
            raise ValueError(f"detectors.{name}: {exc}") from None
    return out


def create_all(overrides: Mapping[str, Mapping[str, Any]] | None = None) -> list[Detector]:
    """One instance of every registered detector, in registry order, those with parameters
    built with :func:`detector_params`. ``ValueError`` also names parameters that are each
    valid but that the detector refuses (an unknown feature name, say)."""
    params = detector_params(overrides)
    detectors = []
    for name, cls in REGISTRY.items():
        try:
            detectors.append(cls(params[name]) if name in params else cls())  # type: ignore[call-arg]
        except ValueError as exc:
            raise ValueError(f"detectors.{name}: {exc}") from None
    return detectors
