"""What a simulation run is asked to produce, and the time anchors derived from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from vigil.simulate.rand import DAY, ms_of

DEFAULT_END = date(2026, 11, 1)
SHAPES = ("graph", "loganalytics", "loganalytics-csv")


class SimulationError(ValueError):
    """The run cannot be produced as asked (too few service principals, bad arguments...)."""


@dataclass(frozen=True, slots=True)
class SimConfig:
    """``end`` is the exclusive end of the timeline at 00:00 UTC; the timeline covers ``days`` days.

    ``scenarios`` holds scenario names (``stolen-secret``) or ``name/variant`` items; ``None``
    means every scenario, an empty tuple none (a benign tenant).
    """

    seed: int = 1
    days: int = 45
    sps: int = 200
    end: date = DEFAULT_END
    shape: str = "graph"
    scenarios: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.days < 7:
            raise SimulationError("--days must be at least 7 (detectors need a baseline)")
        if self.sps < 10:
            raise SimulationError("--sps must be at least 10")
        if self.shape not in SHAPES:
            raise SimulationError(f"--shape must be one of {', '.join(SHAPES)}")

    @property
    def end_ms(self) -> int:
        return ms_of(datetime(self.end.year, self.end.month, self.end.day, tzinfo=UTC))

    @property
    def start_ms(self) -> int:
        return self.end_ms - self.days * DAY

    @property
    def attack_window(self) -> tuple[int, int]:
        """Where attacks and benign changes happen: after a baseline, before the last 36 hours."""
        lo = self.start_ms + max(int(self.days * 0.55), 5) * DAY
        return lo, self.end_ms - 36 * 3_600_000
