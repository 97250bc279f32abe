"""Detection quality against a simulated tenant's ground truth (``vigil eval``).

``score(labels, detections)`` applies the matching rules documented in
:mod:`vigil.evaluate.scoring`; :mod:`vigil.evaluate.report` renders the result.
"""

from __future__ import annotations

import json
from pathlib import Path

from vigil.evaluate.report import table, to_dict
from vigil.evaluate.scoring import HORIZON, SLACK, Report, TypeScore, matches, score
from vigil.simulate.labels import LabelSet

__all__ = ["HORIZON", "SLACK", "Report", "TypeScore", "load_labels", "matches", "score", "table",
           "to_dict"]


def load_labels(path: Path) -> LabelSet:
    """Read ``labels.json``; raises ``ValueError`` (or ``OSError``) when it cannot be used."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return LabelSet.from_dict(doc)
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not a labels.json file: {exc}") from exc
