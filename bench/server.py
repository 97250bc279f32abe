"""Start `vigil serve` for a benchmark: a free loopback port, the process, a health wait."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(db: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    """``vigil serve`` on ``port`` over the SQLite database ``db`` (``extra``: more options)."""
    cmd = [sys.executable, "-m", "vigil.cli.main", "--db", f"sqlite:///{db}", "-q", "serve",
           "--port", str(port), *extra]  # fmt: skip
    return subprocess.Popen(cmd)


def wait_healthy(base: str, timeout: float = 30.0) -> None:
    """Wait until ``base``/healthz answers 200 (SystemExit after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not become healthy")
