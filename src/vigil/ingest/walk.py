"""The files a path names: a file, a folder (recursive), a glob; in a deterministic order.

Folders are walked recursively in sorted path order; hidden entries are skipped, symlinked folders
are not entered and symlinked files are kept; files ending in ``.json``, ``.jsonl``, ``.ndjson``,
``.csv``, optionally ``.gz``, are taken (``vigil.ingest.readers`` reads them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from vigil.ingest.items import ReadError

#: What a folder's walk takes (each also with ``.gz``), case-insensitively.
LOG_SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv")


def expand(path_or_glob: str) -> list[Path | ReadError]:
    """The files a path names, in a deterministic order (see the module docstring)."""
    path = Path(path_or_glob)
    if path.is_file():
        return [path]
    if path.is_dir():
        return list(_walk(path))
    if any(c in path_or_glob for c in "*?["):
        found: list[Path | ReadError] = []
        for p in _glob(path_or_glob):
            found.extend(_walk(p) if p.is_dir() else [p] if p.is_file() else [])
        return found or [ReadError(path_or_glob, 0, "no file matches this pattern")]
    return [ReadError(path_or_glob, 0, "no such file or directory")]


def _glob(pattern: str) -> list[Path]:
    parts = Path(pattern).parts
    first = next(i for i, part in enumerate(parts) if any(c in part for c in "*?["))
    base = Path(*parts[:first]) if first else Path()
    try:
        return sorted(base.glob(str(Path(*parts[first:]))))
    except (OSError, ValueError):
        return []


def _walk(folder: Path) -> Iterator[Path]:
    """The log files under ``folder``, sorted by path: hidden entries and symlinked folders are
    not entered, symlinked files are kept. One ``scandir`` per folder, whose entries know their
    type, so ``--follow``'s poll over thousands of hour folders stays cheap."""
    found: list[tuple[str, ...]] = []
    pending: list[tuple[str, tuple[str, ...]]] = [(str(folder), ())]
    while pending:
        where, rel = pending.pop()
        try:
            entries = list(os.scandir(where))
        except OSError:
            continue  # unreadable or gone: as a recursive glob does
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append((entry.path, (*rel, entry.name)))
                    continue
                if not entry.is_file():
                    continue
            except OSError:
                continue
            if entry.name.lower().removesuffix(".gz").endswith(LOG_SUFFIXES):
                found.append((*rel, entry.name))
    found.sort()
    for parts in found:
        yield folder.joinpath(*parts)
