"""A one-line progress display on stderr for long imports (only when stderr is a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class TerminalProgress:
    """Rewrites one status line: current source, records so far, rate. At most 5 updates/s."""

    def __init__(self, stream: TextIO = sys.stderr, min_interval: float = 0.2) -> None:
        self._stream = stream
        self._started = time.perf_counter()
        self._last = 0.0
        self._min_interval = min_interval
        self._shown = False

    @staticmethod
    def wanted(stream: TextIO = sys.stderr) -> bool:
        return stream.isatty()

    def update(self, source: str, records: int) -> None:
        now = time.perf_counter()
        if now - self._last < self._min_interval:
            return
        self._last = now
        elapsed = max(now - self._started, 1e-9)
        name = source if len(source) <= 40 else "…" + source[-39:]
        line = (
            f"\ringesting {name}: {records:,} records, {records / elapsed:,.0f}/s, {elapsed:.0f}s"
        )
        self._stream.write(line.ljust(100)[:100])
        self._stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self._stream.write("\r" + " " * 100 + "\r")
            self._stream.flush()
