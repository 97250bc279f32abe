"""One principal's profile over named categorical features, with its learning period and fading.

State (JSON, ``version`` 1)::

    {"version": 1, "first": epoch s, "last": epoch s, "n": observations,
     "maint": next maintenance day, "halved": day of the last halving,
     "f": {feature: Categorical state}, "x": {detector extras}}

``learn_one`` counts one observation (a mapping of feature name → value, ``None`` for "absent");
``score_one`` returns the bits of every unfamiliar feature (see :mod:`vigil.baseline.categorical`).
Times are whole seconds since the epoch taken from the records; days are ``seconds // 86400``.

Fading is applied by :meth:`FeatureProfile.maintain` on the first observation of a maintenance day
(every ``every_days``): values unseen for ``forget_days`` are dropped and, every ``halve_days``,
counts are halved. Callers run it *before* learning or scoring that observation, so the result is
a function of the observation sequence alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vigil.baseline.categorical import DEFAULT_CAP, Categorical
from vigil.baseline.versioning import StateVersionError, upgrade

DAY = 86_400
VERSION = 1
UPGRADES: dict[int, Any] = {}


@dataclass(frozen=True, slots=True)
class LearningPeriod:
    """A profile learns until it spans ``min_days`` and holds ``min_observations``, or (sparse
    route, when ``sparse_days`` is set) until it spans ``sparse_days`` and holds
    ``sparse_min_observations``: a principal used a few times a week would otherwise never
    finish learning."""

    min_days: float = 7.0
    min_observations: int = 30
    sparse_days: float | None = None
    sparse_min_observations: int = 0

    def reason(self, first: int | None, now: int, n: int, unit: str = "observations") -> str | None:
        """None when learned, else why not, e.g. ``"learning: 3.2 of 7 days, 12 of 30 sign-ins"``
        (with a sparse route: ``"... (or 28 days and 5 sign-ins)"``)."""
        if self.learned(first, now, n):
            return None
        days = 0.0 if first is None else (now - first) / DAY
        sparse = self.sparse_days
        text = f"learning: {days:.1f} of {self.min_days:g} days, {n} of {self.min_observations} {unit}"
        if sparse is not None:
            text += f" (or {sparse:g} days and {self.sparse_min_observations} {unit})"
        return text

    def learned(self, first: int | None, now: int, n: int) -> bool:
        """Whether a profile that began at ``first`` with ``n`` observations is past learning
        at ``now`` (:meth:`reason` is None), without saying why not."""
        days = 0.0 if first is None else (now - first) / DAY
        if days >= self.min_days and n >= self.min_observations:
            return True
        sparse = self.sparse_days
        return sparse is not None and days >= sparse and n >= self.sparse_min_observations

    def sparse(self, n: int) -> bool:
        """Whether a learned profile holding ``n`` observations finished by the sparse route."""
        return self.sparse_days is not None and n < self.min_observations


@dataclass(frozen=True, slots=True)
class Fading:
    """How old history fades: see the module docstring."""

    forget_days: int = 60
    halve_days: int = 30
    every_days: int = 7


class FeatureProfile:
    __slots__ = ("extra", "features", "first", "halved", "last", "n", "next_maint")

    def __init__(self, caps: Mapping[str, int]) -> None:
        self.features: dict[str, Categorical] = {k: Categorical(c) for k, c in caps.items()}
        self.first: int | None = None
        self.last: int | None = None
        self.n = 0
        self.next_maint = 0
        self.halved: int | None = None
        self.extra: dict[str, Any] = {}

    # -- learning and scoring ----------------------------------------------------------------

    def learn_one(
        self, values: Mapping[str, str | None], t: int, count: int = 1
    ) -> dict[str, str] | None:
        """Learn one observation (``count`` identical ones).

        Returns None when every value was familiar, else ``{feature: evicted value}`` (``""``
        when the new value evicted nothing).
        """
        if self.first is None or t < self.first:
            self.first = t
        if self.last is None or t > self.last:
            self.last = t
        self.n += count
        day = t // DAY
        new: dict[str, str] | None = None
        for name, value in values.items():
            if value is not None:
                evicted = self.features[name].learn_one(value, day, count)
                if evicted is not None:
                    new = new or {}
                    new[name] = evicted
        return new

    def learn_familiar(self, values: Mapping[str, str | None], t: int, count: int) -> None:
        """:meth:`learn_one` for values known to be familiar (the detectors' fast path)."""
        if self.last is None or t > self.last:
            self.last = t
        self.n += count
        day = t // DAY
        features = self.features
        for name, value in values.items():
            if value is not None:
                f = features[name]
                f.n += count
                entry = f.v[value]
                entry[0] += count
                if day > entry[1]:
                    entry[1] = day

    def score_one(self, values: Mapping[str, str | None], max_bits: float) -> dict[str, float]:
        """Bits per unfamiliar feature (familiar and absent features are left out)."""
        out: dict[str, float] = {}
        for name, value in values.items():
            if value is None:
                continue
            feature = self.features[name]
            if value not in feature.v:
                out[name] = feature.surprise(max_bits)
        return out

    def learning(self, now: int, period: LearningPeriod, unit: str = "observations") -> str | None:
        return period.reason(self.first, now, self.n, unit)

    def age_days(self, now: int) -> int:
        return 0 if self.first is None else max(0, (now - self.first) // DAY)

    # -- fading -------------------------------------------------------------------------------

    def due(self, t: int) -> bool:
        return t // DAY >= self.next_maint

    def maintain(self, t: int, fading: Fading) -> bool:
        """Fade history on the first observation of a maintenance day; True when values went."""
        day = t // DAY
        if day < self.next_maint:
            return False
        dropped = False
        for feature in self.features.values():
            dropped |= feature.forget(day - fading.forget_days)
        if self.halved is None:
            self.halved = day
        elif day - self.halved >= fading.halve_days:
            for feature in self.features.values():
                feature.halve()
            self.halved = day
        self.next_maint = day + fading.every_days
        return dropped

    # -- state ----------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """JSON-compatible state; shares nested tables (serialize it before learning more)."""
        return {
            "version": VERSION,
            "first": self.first,
            "last": self.last,
            "n": self.n,
            "maint": self.next_maint,
            "halved": self.halved,
            "f": {k: f.to_state() for k, f in self.features.items() if f.n or f.v},
            "x": self.extra,
        }

    @classmethod
    def from_state(
        cls, state: Mapping[str, Any] | None, caps: Mapping[str, int]
    ) -> FeatureProfile:
        """The profile ``state`` describes (upgraded); a new one for None or an unreadable state."""
        p = cls(caps)
        if state is None:
            return p
        try:
            s = upgrade(state, "feature profile", VERSION, UPGRADES)
        except StateVersionError:
            return p
        p.first, p.last = s.get("first"), s.get("last")
        p.n, p.next_maint, p.halved = int(s.get("n", 0)), int(s.get("maint", 0)), s.get("halved")
        for name, fs in dict(s.get("f") or {}).items():
            if name in p.features:
                p.features[name] = Categorical.from_state(fs, caps.get(name, DEFAULT_CAP))
        p.extra = dict(s.get("x") or {})
        return p

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FeatureProfile):
            return NotImplemented
        return self.to_state() == other.to_state()
