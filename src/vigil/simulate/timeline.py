"""When workloads sign in: schedules with daily and weekly seasonality.

Each schedule's ``times(start, end, rng)`` returns the sorted sign-in times (epoch ms) in
``[start, end)``. Local time is the tenant's (UTC+1, no daylight saving): working hours and
weekdays are judged there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from vigil.simulate.rand import DAY, HOUR, MINUTE, Rand

LOCAL_OFFSET = HOUR
#: Relative activity per local hour for office-driven work (peaks late morning and mid-afternoon).
WORKDAY_CURVE = (0.02, 0.01, 0.01, 0.01, 0.02, 0.05, 0.15, 0.45, 0.85, 1.0, 1.0, 0.9, 0.7, 0.9,
                 1.0, 0.95, 0.8, 0.55, 0.3, 0.15, 0.1, 0.06, 0.04, 0.03)


class Schedule(Protocol):
    def times(self, start: int, end: int, rng: Rand) -> list[int]: ...


def local_hour(t: int) -> int:
    return ((t + LOCAL_OFFSET) % DAY) // HOUR


def is_weekday(t: int) -> bool:
    # 1970-01-01 was a Thursday (weekday index 3).
    return (((t + LOCAL_OFFSET) // DAY) + 3) % 7 < 5


def _day_starts(start: int, end: int) -> range:
    first = (start + LOCAL_OFFSET) // DAY * DAY - LOCAL_OFFSET
    return range(first, end, DAY)


@dataclass(frozen=True, slots=True)
class Interval:
    """A timer job: every ``minutes`` with ``jitter`` (fraction), optionally only in working hours."""

    minutes: float
    jitter: float = 0.1
    working_hours_only: bool = False

    def times(self, start: int, end: int, rng: Rand) -> list[int]:
        step = int(self.minutes * MINUTE)
        t = start + rng.randrange(max(step, 1))
        out = []
        while t < end:
            if not self.working_hours_only or (is_weekday(t) and 7 <= local_hour(t) < 19):
                out.append(t)
            t += max(rng.jitter(step, self.jitter), MINUTE)
        return out

    @property
    def per_day(self) -> float:
        return 1440 / self.minutes * (0.35 if self.working_hours_only else 1.0)


@dataclass(frozen=True, slots=True)
class Workday:
    """CI/CD-style bursts: ``runs`` per working day (Poisson) following :data:`WORKDAY_CURVE`, each
    run signing in ``burst`` times within a few minutes; rare weekend runs; an optional nightly run.
    """

    runs: float
    burst: int = 2
    weekend_rate: float = 0.05
    nightly_hour: int | None = None

    def times(self, start: int, end: int, rng: Rand) -> list[int]:
        out: list[int] = []
        weights = WORKDAY_CURVE
        total = sum(weights)
        for day in _day_starts(start, end):
            lam = self.runs if is_weekday(day + 12 * HOUR) else self.runs * self.weekend_rate
            for _ in range(_poisson(rng, lam)):
                hour = _weighted_index(rng, weights, total)
                t0 = day + hour * HOUR + rng.randrange(HOUR)
                out.extend(t0 + i * rng.randrange(20_000, 240_000) for i in range(self.burst))
            if self.nightly_hour is not None:
                t0 = day + self.nightly_hour * HOUR + rng.randrange(10 * MINUTE)
                out.extend(t0 + i * rng.randrange(20_000, 120_000) for i in range(self.burst))
        return sorted(t for t in out if start <= t < end)

    @property
    def per_day(self) -> float:
        return self.burst * (self.runs * 5 / 7 + (1 if self.nightly_hour is not None else 0))


@dataclass(frozen=True, slots=True)
class Diurnal:
    """Poisson arrivals at ``peak_per_hour`` scaled by :data:`WORKDAY_CURVE` (``floor`` at night),
    shifted by ``shift_hours`` (a vendor in another time zone); weekends at ``weekend`` of weekdays.
    """

    peak_per_hour: float
    floor: float = 0.1
    shift_hours: int = 0
    weekend: float = 0.3

    def times(self, start: int, end: int, rng: Rand) -> list[int]:
        out: list[int] = []
        hour_start = start // HOUR * HOUR
        for h in range(hour_start, end, HOUR):
            shape = max(WORKDAY_CURVE[(local_hour(h) - self.shift_hours) % 24], self.floor)
            lam = self.peak_per_hour * shape * (1.0 if is_weekday(h) else self.weekend)
            for _ in range(_poisson(rng, lam)):
                t = h + rng.randrange(HOUR)
                if start <= t < end:
                    out.append(t)
        out.sort()
        return out

    @property
    def per_day(self) -> float:
        return self.peak_per_hour * sum(max(w, self.floor) for w in WORKDAY_CURVE) * 0.8


@dataclass(frozen=True, slots=True)
class Sparse:
    """A rarely used app: about ``per_month`` sessions a month of 1-3 sign-ins, in working hours."""

    per_month: float

    def times(self, start: int, end: int, rng: Rand) -> list[int]:
        out = []
        lam = self.per_month * (end - start) / (30 * DAY)
        for _ in range(_poisson(rng, lam)):
            day = start + rng.randrange(max((end - start) // DAY, 1)) * DAY
            t0 = day - day % DAY + (8 + rng.randrange(9)) * HOUR - LOCAL_OFFSET
            t0 += rng.randrange(HOUR)
            out.extend(t0 + i * rng.randrange(30_000, 300_000) for i in range(1 + rng.randrange(3)))
        return sorted(t for t in out if start <= t < end)

    @property
    def per_day(self) -> float:
        return self.per_month / 15


def _weighted_index(rng: Rand, weights: tuple[float, ...], total: float) -> int:
    x = rng.random() * total
    for i, w in enumerate(weights):
        x -= w
        if x < 0:
            return i
    return len(weights) - 1


def _poisson(rng: Rand, lam: float) -> int:
    """Knuth's method for small means, a rounded normal approximation for large ones."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k
