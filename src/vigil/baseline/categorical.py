"""Familiarity of one categorical feature (an IP, a country, a user agent...) for one principal.

State (JSON): ``{"n": observations, "d": novelties, "v": {value: [count, last_day]}, "w": wide}``.

* ``n`` counts observations that carried the feature, ``d`` how many of them brought a value never
  seen before. ``(d + 1) / (n + 2)`` estimates the chance that the *next* observation is new, so
  :meth:`Categorical.score_one` gives an unfamiliar value ``log2((n + 2) / (d + 1))`` bits: a
  daemon with one IP in 3,000 sign-ins scores a new IP at ~10.5 bits, a pipeline that met 500
  addresses in 2,000 sign-ins at ~2 bits. This is the per-feature weight from stability that
  ``suspiciousSignins`` uses; familiar values score 0.
* At most ``cap`` values are kept, with their count and the day (days since the epoch) they were
  last seen. A new value beyond ``cap`` evicts the least frequent value (the earliest learned of
  equals) and marks the feature ``wide``: an evicted value counts as unfamiliar again, which only
  ever happens to features that change so often that unfamiliar values weigh little.
* :meth:`forget` drops values not seen since a day; :meth:`halve` halves every count (rounding up,
  so a value seen once stays until forgotten), letting old history fade.

All arithmetic is on integers, so learning a value ``k`` times at once equals learning it ``k``
times in a row: the result does not depend on how records are cut into batches.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

DEFAULT_CAP = 12


def _count(item: tuple[str, list[int]]) -> int:
    return item[1][0]


class Categorical:
    __slots__ = ("cap", "d", "n", "v", "wide")

    def __init__(
        self,
        cap: int = DEFAULT_CAP,
        n: int = 0,
        d: int = 0,
        v: dict[str, list[int]] | None = None,
        wide: bool = False,
    ) -> None:
        self.cap = cap
        self.n = n
        self.d = d
        self.v: dict[str, list[int]] = {} if v is None else v
        self.wide = wide

    # -- learning and scoring ----------------------------------------------------------------

    def learn_one(self, value: str, day: int, count: int = 1) -> str | None:
        """Count ``value`` seen ``count`` times, last on ``day``.

        Returns None for a familiar value, else the value it evicted (see the module docstring),
        or ``""`` when nothing was evicted. Callers that cache "all familiar" results must drop
        those holding an evicted value.
        """
        self.n += count
        entry = self.v.get(value)
        if entry is not None:
            entry[0] += count
            if day > entry[1]:
                entry[1] = day
            return None
        self.d += 1
        evicted = ""
        if len(self.v) >= self.cap:
            evicted = self._evict()
            self.wide = True
        self.v[value] = [count, day]
        return evicted

    def _evict(self) -> str:
        """Drop the least frequent value, the earliest learned of equals (dict order is learning
        order, kept through the JSON state); most wide features hold many values seen once."""
        v = self.v
        for key, entry in v.items():
            if entry[0] <= 1:
                del v[key]
                return key
        key = min(v.items(), key=_count)[0]
        del v[key]
        return key

    def familiar(self, value: str) -> bool:
        return value in self.v

    def surprise(self, max_bits: float) -> float:
        """Bits of an unfamiliar value now: ``log2((n + 2) / (d + 1))``, at most ``max_bits``."""
        return min(math.log2((self.n + 2) / (self.d + 1)), max_bits)

    def score_one(self, value: str, max_bits: float = 16.0) -> float:
        """0 for a familiar value, else :meth:`surprise`."""
        return 0.0 if value in self.v else self.surprise(max_bits)

    # -- fading -------------------------------------------------------------------------------

    def forget(self, before_day: int) -> bool:
        """Drop values last seen before ``before_day``; True when any was dropped."""
        old = [k for k, (_, last) in self.v.items() if last < before_day]
        for k in old:
            del self.v[k]
        if not self.v:
            self.n = self.d = 0
            self.wide = False
        return bool(old)

    def halve(self) -> None:
        self.n = (self.n + 1) // 2
        self.d = min((self.d + 1) // 2, self.n)
        for entry in self.v.values():
            entry[0] = (entry[0] + 1) // 2

    # -- explaining ---------------------------------------------------------------------------

    def usual(self, top: int = 3) -> str:
        """The most frequent values with their shares, e.g. ``"US 97%, DE 3%"``."""
        total = sum(c for c, _ in self.v.values())
        if not total:
            return "none"
        ranked = sorted(self.v.items(), key=lambda kv: (-kv[1][0], kv[0]))[:top]
        parts = [f"{k} {round(100 * c / total)}%" for k, (c, _) in ranked]
        if len(self.v) > top:
            parts.append(f"+{len(self.v) - top} more")
        return ", ".join(parts)

    def describe(self, label: str, value: str, age_days: int) -> str:
        """``"country NG: never in 41 days; usual US 100%"``."""
        never = f"not among the {self.cap} most frequent" if self.wide else "never"
        return f"{label} {value}: {never} in {age_days} days; usual {self.usual()}"

    # -- state ----------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """JSON-compatible state; shares the value table (serialize it before learning more)."""
        return {"n": self.n, "d": self.d, "v": self.v, "w": self.wide}

    @classmethod
    def from_state(cls, state: Mapping[str, Any], cap: int = DEFAULT_CAP) -> Categorical:
        v = {str(k): [int(e[0]), int(e[1])] for k, e in dict(state.get("v") or {}).items()}
        return cls(cap, int(state.get("n", 0)), int(state.get("d", 0)), v, bool(state.get("w")))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Categorical):
            return NotImplemented
        return self.to_state() == other.to_state() and self.cap == other.cap

    def __repr__(self) -> str:
        return f"Categorical(n={self.n}, d={self.d}, values={len(self.v)}, wide={self.wide})"
