"""Runs of broken JSON lines that hold a secret: what a reject of such a line may keep.

A JSON value split over lines leaves each line broken, and a reject keeps each one's text (an
excerpt, for inspection). Redacting that text line by line (``vigil.leaks.redact``) misses a
``secretText`` value whose name is on an earlier line, and a client secret cut by a line break.
:func:`secret_run` follows such runs line by line; the line readers
(``vigil.ingest.readers.read_lines``, ``vigil.ingest.parse.parse_jsonl``) keep only
``[redacted]`` for a reject inside one, and a piece of a file learns whether it starts inside one
from the ``RUN_BACK_BYTES`` before it (:func:`read_before`, :func:`run_before`), so only a run
that began further back than that is missed there.
"""

from __future__ import annotations

from typing import BinaryIO

import orjson

from vigil.leaks.redact import names_member


def secret_run(line: bytes, run: bool, max_line: int | None = None) -> bool:
    """Whether the line after ``line`` follows a run of broken lines that holds a secret, given
    whether ``line`` itself did (``run``).

    A JSON value split over lines leaves each line broken, and a reject keeps each one's text:
    redacting that text line by line misses a ``secretText`` value whose name is on an earlier
    line, and a client secret cut by a line break. So a broken line that names ``secretText`` or
    holds ``Q~`` starts a run, which blank lines keep and the next line that parses ends, and a
    reject inside a run keeps only ``[redacted]`` for its text. A line over ``max_line`` is
    broken."""
    if not line.strip():
        return run
    if max_line is not None and len(line.rstrip(b"\r\n")) > max_line:
        return run or holds_secret(line)
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return run or holds_secret(line)
    return False


#: How much of a file before a piece :func:`run_before` reads.
RUN_BACK_BYTES = 16 << 10


def run_before(tail: bytes, whole: bool) -> bool:
    """:func:`secret_run` after ``tail``, the end of what comes before a piece (a line end ends
    it; ``whole``: it starts the file too, else its first line may be cut and is left out)."""
    lines = tail.split(b"\n")[:-1]
    run = False
    for line in lines if whole else lines[1:]:
        run = secret_run(line, run)
    return run


def read_before(handle: BinaryIO, start: int) -> bool:
    """:func:`run_before` for a piece at ``start`` of a seekable file."""
    if start <= 0:
        return False
    back = max(0, start - RUN_BACK_BYTES)
    handle.seek(back)
    return run_before(handle.read(start - back), back == 0)


def holds_secret(data: bytes) -> bool:
    """A broken line holding this starts a run (:func:`secret_run`)."""
    return b"Q~" in data or names_member(data)
