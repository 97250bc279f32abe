"""A first-order transition model over one principal's sequence of operations.

Microsoft describes its anomalous-activity detection as a model of the *sequences* of
administrative operations a service principal performs. This is the small, explainable version:
counts of each operation and of each ``previous → next`` pair, scored with interpolated smoothing

    P(op | prev) = (c[prev][op] + alpha * P0(op)) / (c[prev] + alpha)
    P0(op)       = (c[op] + 1) / (n + V + 1)          (V = operations seen, +1 for "a new one")

and reported as surprise bits ``-log2 P``. An operation never seen before after ``n`` operations
scores about ``log2(n + V + 1)`` bits plus the transition term; a routine one close to 0.

State (JSON): ``{"n": int, "ops": {op: count}, "tr": {prev: {op: count}}, "prev": op | null}``.
At most ``cap`` distinct operations are kept (the least frequent is dropped, then the smallest
name). Integer counts only; :meth:`halve` lets old habits fade.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

DEFAULT_CAP = 32


class TransitionModel:
    __slots__ = ("alpha", "cap", "n", "ops", "prev", "tr")

    def __init__(self, cap: int = DEFAULT_CAP, alpha: float = 1.0) -> None:
        self.cap = cap
        self.alpha = alpha
        self.n = 0
        self.ops: dict[str, int] = {}
        self.tr: dict[str, dict[str, int]] = {}
        self.prev: str | None = None

    def probability(self, op: str) -> float:
        p0 = (self.ops.get(op, 0) + 1) / (self.n + len(self.ops) + 1)
        if self.prev is None:
            return p0
        row = self.tr.get(self.prev, {})
        total = sum(row.values())
        return (row.get(op, 0) + self.alpha * p0) / (total + self.alpha)

    def score_one(self, op: str) -> float:
        """Surprise bits of ``op`` following the last learned operation."""
        return -math.log2(self.probability(op))

    def seen(self, op: str) -> bool:
        return op in self.ops

    def learn_one(self, op: str) -> None:
        if op not in self.ops and len(self.ops) >= self.cap:
            drop = min(self.ops, key=lambda k: (self.ops[k], k))
            del self.ops[drop]
            self.tr.pop(drop, None)
            for row in self.tr.values():
                row.pop(drop, None)
        self.ops[op] = self.ops.get(op, 0) + 1
        if self.prev is not None and self.prev in self.ops:
            row = self.tr.setdefault(self.prev, {})
            row[op] = row.get(op, 0) + 1
        self.prev = op
        self.n += 1

    def halve(self) -> None:
        self.n = (self.n + 1) // 2
        self.ops = {k: (c + 1) // 2 for k, c in self.ops.items()}
        self.tr = {p: {k: (c + 1) // 2 for k, c in row.items()} for p, row in self.tr.items()}

    def to_state(self) -> dict[str, Any]:
        return {"n": self.n, "ops": dict(self.ops),
                "tr": {p: dict(r) for p, r in self.tr.items()}, "prev": self.prev}

    @classmethod
    def from_state(cls, state: Mapping[str, Any] | None, cap: int = DEFAULT_CAP,
                   alpha: float = 1.0) -> TransitionModel:
        m = cls(cap, alpha)
        if not state:
            return m
        m.n = int(state.get("n", 0))
        m.ops = {str(k): int(v) for k, v in dict(state.get("ops") or {}).items()}
        m.tr = {str(p): {str(k): int(v) for k, v in dict(r).items()}
                for p, r in dict(state.get("tr") or {}).items()}
        prev = state.get("prev")
        m.prev = None if prev is None else str(prev)
        return m

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TransitionModel):
            return NotImplemented
        return self.to_state() == other.to_state()
