"""The registry is complete: every detector class in vigil.detections is registered, and every
workload riskEventType has a detector (or is produced by something else, as listed)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import vigil.detections
from vigil.detections.registry import NOT_DETECTORS, REGISTRY
from vigil.model import RiskEventType


def _detector_classes() -> dict[str, type]:
    found: dict[str, type] = {}
    for info in pkgutil.iter_modules(vigil.detections.__path__):
        module = importlib.import_module(f"vigil.detections.{info.name}")
        for _, obj in inspect.getmembers(module, inspect.isclass):
            kind = getattr(obj, "risk_event_type", None)
            if obj.__module__ == module.__name__ and isinstance(kind, str) and hasattr(obj, "detect"):
                found[kind] = obj
    return found


def test_every_detector_class_is_registered():
    assert _detector_classes() == REGISTRY


def test_every_risk_event_type_has_a_detector_or_another_source():
    assert set(REGISTRY) | NOT_DETECTORS == {t.value for t in RiskEventType}
    assert not set(REGISTRY) & NOT_DETECTORS


def test_detector_modules_are_named_after_their_risk_event_type():
    import re

    for kind, cls in REGISTRY.items():
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower().replace("a_p_i", "api")
        assert cls.__module__ == f"vigil.detections.{snake}", (kind, cls.__module__)
