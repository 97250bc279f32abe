"""Reads indicator files of any supported format: STIX 2.1, MISP, CSV, plain text.

The format is recognised from the content: JSON with ``type: bundle`` / ``objects`` / an indicator
is STIX; JSON with ``Event`` / ``response`` is MISP; a folder with ``manifest.json`` is a MISP feed
(another folder is read file by file); ``.csv`` files are CSV; anything else is a plain-text list.
The source (feed) name is the file's or folder's name unless given.
"""

from __future__ import annotations

import json
from pathlib import Path

from vigil.intel.indicator import IndicatorKind
from vigil.intel.misp import load_feed, load_misp
from vigil.intel.stix import StixResult, load_stix
from vigil.intel.textlist import load_csv, load_text
from vigil.paths import source_name

FORMATS = ("auto", "stix", "misp", "csv", "text")


def _source_name(path: Path) -> str:
    name = source_name(path.name)  # text a store takes (vigil.paths)
    for suffix in (".json", ".csv", ".txt", ".stix"):
        name = name.removesuffix(suffix)
    return name or source_name(path)


def load_path(path: Path, source: str | None = None, fmt: str = "auto",
              kind: IndicatorKind | None = None, verified: bool = True) -> StixResult:
    """Every indicator in ``path`` (a file or a folder), with rejects naming file and position."""
    if path.is_dir():
        if (path / "manifest.json").is_file() and fmt in ("auto", "misp"):
            return load_feed(path, source or _source_name(path))
        total = StixResult()
        for child in sorted(p for p in path.iterdir() if p.is_file()):
            part = load_path(child, source, fmt, kind, verified)
            total.indicators += part.indicators
            total.rejects += part.rejects
            total.ignored += part.ignored
            total.versions |= part.versions
        return total
    name = source or _source_name(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return StixResult(rejects=[(source_name(path), exc.strerror or "unreadable")])
    return load_bytes(data, name, source_name(path), fmt, kind, verified)


def load_bytes(data: bytes, source: str, where: str, fmt: str = "auto",
               kind: IndicatorKind | None = None, verified: bool = True) -> StixResult:
    text = data.decode("utf-8-sig", errors="replace")
    if fmt in ("auto", "stix", "misp") and text.lstrip()[:1] in ("{", "["):
        try:
            doc = json.loads(text)
        except ValueError as exc:
            return StixResult(rejects=[(where, f"not JSON: {exc}")])
        is_misp = isinstance(doc, dict) and ("Event" in doc or "response" in doc)
        if fmt == "misp" or (fmt == "auto" and is_misp):
            return load_misp(doc, source, where)
        return load_stix(doc, source, where)
    if fmt == "csv" or (fmt == "auto" and where.lower().endswith(".csv")):
        return load_csv(text, source, where, verified, kind)
    return load_text(text, source, where, verified, kind)
