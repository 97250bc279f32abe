"""Store-backed inputs for the detectors that need more than records: indicators and leak findings.

``bind_detector_sources`` gives the threat-intelligence detector the stored indicators and the
leaked-credentials detector the stored findings; :mod:`vigil.app` applies it to the registry's
detectors. The indicator set is rebuilt only when the stored indicators change (count or newest
update), checked once per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine

from vigil.detections.base import Detector
from vigil.detections.investigations_threat_intelligence import InvestigationsThreatIntelligence
from vigil.detections.leaked_credentials import LeakedCredentials
from vigil.intel.matching import IndicatorSet
from vigil.store.intel import IndicatorRepository
from vigil.store.leaks import FindingRepository


class StoreIndicators:
    """Implements ``IndicatorSource``: the stored indicators as an :class:`IndicatorSet`."""

    def __init__(self, engine: Engine) -> None:
        self._repo = IndicatorRepository(engine)
        self._generation: tuple[int, datetime | None] | None = None
        self._set = IndicatorSet()

    def current(self) -> IndicatorSet:
        generation = self._repo.generation()
        if generation != self._generation:
            self._set = IndicatorSet(self._repo.all())
            self._generation = generation
        return self._set


def bind_detector_sources(detectors: Sequence[Detector], engine: Engine) -> list[Detector]:
    """``detectors`` with the store-backed sources plugged into the ones that take them."""
    bound: list[Detector] = []
    for d in detectors:
        if isinstance(d, InvestigationsThreatIntelligence):
            d = InvestigationsThreatIntelligence(indicators=StoreIndicators(engine))
        elif isinstance(d, LeakedCredentials):
            d = LeakedCredentials(findings=FindingRepository(engine))
        bound.append(d)
    return bound
