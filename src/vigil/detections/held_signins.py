"""Flagged sign-ins suspiciousSignins keeps unlearned until an admin answers their detection.

A sign-in that scored medium or high is not learned (protected learning). Its feature values are
held in the principal's profile (``extra["held"]``), one row per episode and set of values:
``[episode id, last time, count, values in FEATURES order]``, at most :data:`HELD_MAX` (the
oldest go first). When an admin's verdict on the episode's detection applies
(:mod:`vigil.detections.verdicts`), :func:`settle` says which rows to learn (dismissed) and which
to keep; a remediated episode's rows, and rows older than the profile remembers, are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vigil.detections.signin_features import FEATURES
from vigil.detections.verdicts import Verdict

HELD_MAX = 4
#: One sign-in to learn: its values, time and how many identical ones.
Learned = tuple[dict[str, str | None], int, int]


def hold(extra: dict[str, Any], episode: str, values: Mapping[str, str | None], t: int) -> None:
    """Hold a flagged sign-in's ``values`` under ``episode`` in the profile's ``extra``."""
    row = [values.get(f) for f in FEATURES]
    held: list[list[Any]] = extra.setdefault("held", [])
    for entry in held:
        if entry[0] == episode and entry[3] == row:
            entry[1] = max(int(entry[1]), t)
            entry[2] = int(entry[2]) + 1
            return
    held.append([episode, t, 1, row])
    del held[:-HELD_MAX]


def settle(extra: dict[str, Any], verdicts: Mapping[str, Verdict], t: int,
           oldest: int) -> list[Learned]:
    """Apply ``verdicts`` (by episode id) to the held rows for a sign-in at ``t``: the rows of a
    dismissed episode are returned to be learned, those of a remediated one dropped, the others
    kept unless older than ``oldest``; a verdict counts only where it teaches
    (:meth:`Verdict.teaches`). A row of another length (another version's features) is dropped."""
    learn: list[Learned] = []
    keep = []
    for entry in extra.get("held") or ():
        verdict = verdicts.get(str(entry[0]))
        if verdict is None or not verdict.teaches(t):
            if int(entry[1]) >= oldest:
                keep.append(entry)
        elif verdict.dismissed and len(entry[3]) == len(FEATURES):
            learn.append((dict(zip(FEATURES, entry[3], strict=True)), int(entry[1]),
                          int(entry[2])))
    if keep:
        extra["held"] = keep
    else:
        extra.pop("held", None)
    return learn
