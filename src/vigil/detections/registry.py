"""The registry of detectors: a plain dict from riskEventType id to detector class.

``adminConfirmedServicePrincipalCompromised`` has no detector: it comes from the confirm action
(``vigil.risk``). ``tests/detections/test_registry.py`` fails when a detector module is missing here.
"""

from __future__ import annotations

from vigil.detections.base import Detector

REGISTRY: dict[str, type[Detector]] = {}

#: riskEventTypes that are produced by something other than a detector.
NOT_DETECTORS = frozenset({"adminConfirmedServicePrincipalCompromised"})


def create_all() -> list[Detector]:
    """One instance of every registered detector, in registry order."""
    return [cls() for cls in REGISTRY.values()]
