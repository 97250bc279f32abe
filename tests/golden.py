"""The golden records of ``tests/data`` (real wire shapes), for tests that sweep all of them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"


def json_records() -> list[dict[str, Any]]:
    """Every record of the ``.json`` files: Graph pages' items, diagnostic records, rows."""
    records: list[dict[str, Any]] = []
    for path in sorted(DATA.rglob("*.json")):
        data = json.loads(path.read_text())
        if isinstance(data, dict):
            data = data.get("value") or data.get("records") or [data]
        records.extend(data)
    return records


def jsonl_sign_ins() -> list[dict[str, Any]]:
    """The Graph sign-ins of ``graph/signins.jsonl``."""
    lines = (DATA / "graph" / "signins.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]
