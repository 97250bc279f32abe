"""CSV exports (Log Analytics, the portal) → records: the header names the cells.

``line`` is the physical line where a row starts (cells may contain newlines). Cells stay
strings (JSON text included); a header's `` [UTC]`` suffix (portal export) is dropped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from vigil.ingest.items import ERROR_TEXT_MAX, Item, RawRecord, ReadError

HINT_CSV = "csv"
_CSV_FIELD_MAX = 256 * 1024 * 1024


def read_csv(stream: io.BufferedReader, source: str, position: list[int]) -> Iterator[Item]:
    """The rows of ``stream`` after its header, as records (``position[0]``: the last line read)."""
    if csv.field_size_limit() < _CSV_FIELD_MAX:
        csv.field_size_limit(_CSV_FIELD_MAX)  # process-wide; Log Analytics cells can be large
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text)
    header: list[str] | None = None
    done = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield ReadError(source, done + 1, f"invalid CSV: {exc}")
            if reader.line_num == done:
                break
            done = reader.line_num
            continue
        start, done = done + 1, reader.line_num
        position[0] = done
        if not row or row == [""]:
            continue
        joined = ",".join(row)
        try:
            joined.encode("utf-8")
        except UnicodeEncodeError as bad:
            excerpt = joined.encode("utf-8", "surrogateescape")[:ERROR_TEXT_MAX]
            yield ReadError(source, start, f"invalid UTF-8 near character {bad.start}", excerpt)
            continue
        if header is None:
            header = [_column(name) for name in row]
            continue
        if len(row) != len(header):
            reason = f"row has {len(row)} cells, the header has {len(header)}"
            yield ReadError(source, start, reason, joined.encode()[:ERROR_TEXT_MAX])
            continue
        yield RawRecord(source, start, dict(zip(header, row, strict=True)), HINT_CSV)


def _column(name: str) -> str:
    """``TimeGenerated [UTC]`` (portal export) → ``TimeGenerated``."""
    name = name.strip()
    if name.endswith("]") and " [" in name:
        return name[: name.rindex(" [")]
    return name
