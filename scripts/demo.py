"""`make demo`: run Vigil's main job end to end on the embedded default (SQLite under ./demo/).

Each step is a real `vigil` command; the script prints each command before running it so a newcomer
can repeat any of them by hand. A second run reuses what exists.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo"
DB = f"sqlite:///{DEMO / 'vigil.db'}"
VIGIL = [sys.executable, "-m", "vigil.cli.main", "--db", DB]


def vigil(*args: str) -> None:
    print("$ vigil " + " ".join(shlex.quote(a) for a in args), flush=True)
    subprocess.run([*VIGIL, *args], check=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def main() -> int:
    DEMO.mkdir(exist_ok=True)
    vigil("migrate")
    vigil("stats")
    return 0


if __name__ == "__main__":
    sys.exit(main())
