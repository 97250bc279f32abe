"""Reading simulator output in tests: JSON Lines, CSV and JSON files."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vigil.simulate import SimConfig, simulate

SMALL = {"seed": 5, "days": 10, "sps": 40}


def write(root: Path, name: str, **kwargs: Any) -> Path:
    """Simulate the small tenant (``SMALL`` overridden by ``kwargs``) into ``root / name``."""
    out = root / name
    simulate(SimConfig(**{**SMALL, **kwargs}), out)
    return out


def rows(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a JSON Lines or CSV output file."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as f:
            yield from csv.DictReader(f)
        return
    with path.open("rb") as f:
        for line in f:
            yield json.loads(line)


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def labels(out: Path) -> dict[str, Any]:
    return load(out / "labels.json")
