"""Per-service-principal statistics for the behavioural detectors.

``learn_one`` / ``score_one`` on one observation at a time, ``to_state`` / ``from_state`` to JSON
(versioned, upgraded, never pickled). Imports only the standard library.

* :class:`Categorical`: familiarity of one feature (IP, country, user agent...) with a surprise
  that grows with the feature's stability.
* :class:`FeatureProfile`: one principal's named features, learning period and fading.
* :class:`TransitionModel`: a first-order model over a principal's sequence of operations.
* :class:`Log2Histogram`: amounts per hour (requests, bytes) on a log2 scale.
* :class:`StateCache`: decoded profiles kept between batches while the store holds our writes.
"""

from vigil.baseline.cache import StateCache
from vigil.baseline.categorical import Categorical
from vigil.baseline.histogram import Log2Histogram
from vigil.baseline.profile import DAY, Fading, FeatureProfile, LearningPeriod
from vigil.baseline.transitions import TransitionModel
from vigil.baseline.versioning import StateVersionError, upgrade

__all__ = [
    "DAY",
    "Categorical",
    "Fading",
    "FeatureProfile",
    "LearningPeriod",
    "Log2Histogram",
    "StateCache",
    "StateVersionError",
    "TransitionModel",
    "upgrade",
]
