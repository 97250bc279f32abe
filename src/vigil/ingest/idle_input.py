"""Standard input that lets an ingest end its transaction while it waits for more.

An ingest's transaction holds the store's write lock (``vigil.ingest.group_commit``) and commits
once it is ``commit_seconds`` old, checked between batches. Reading standard input, the next batch
may be minutes away (a slow producer: ``az rest ... | vigil ingest -``): the check never came, the
lock stayed taken, every other writer (an admin's dismiss, another ingest) failed after SQLite's
busy timeout with "database is locked", and the batches already written stayed invisible.
:func:`idle_reader` waits for input with ``select`` and calls ``idle`` (the group commit's
``commit_if_due``) every ``every`` seconds of waiting, on the reading thread, between batches.
"""

from __future__ import annotations

import io
import os
import select
from collections.abc import Callable
from typing import Any, BinaryIO

#: Bytes read at a time (the readers' own buffer size).
CHUNK = 65_536


class _IdleRaw(io.RawIOBase):
    def __init__(self, fd: int, idle: Callable[[], None], every: float) -> None:
        self._fd, self._idle, self._every = fd, idle, every

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not select.select([self._fd], [], [], self._every)[0]:
            self._idle()
        data = os.read(self._fd, len(buffer))
        buffer[: len(data)] = data
        return len(data)


def idle_reader(stream: BinaryIO, idle: Callable[[], None], every: float) -> BinaryIO:
    """``stream`` read through its file descriptor, calling ``idle`` while no input is ready;
    ``stream`` itself when it has no descriptor (nothing to wait for). Nothing may have been
    read from ``stream`` before (its buffer is bypassed)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return stream
    return io.BufferedReader(_IdleRaw(fd, idle, every), CHUNK)
