"""Slash dates in CSV exports: a file's date order comes from its own dates (csv_reader doc)."""

from __future__ import annotations

import csv
import gzip
import io
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.ingest.test_fast_path import ENRICHER, RECEIVED

import vigil.ingest.csv_reader as csv_reader
from vigil.ingest.parse import Parsed, parse_items
from vigil.ingest.readers import ReadError, read_stream

PORTAL = Path(__file__).resolve().parents[1] / "data" / "la" / "AADServicePrincipalSignInLogs.portal.csv"
TIMES = ("TimeGenerated [UTC]", "CreatedDateTime [UTC]")


def portal_csv(dates: list[str], **cells: str) -> bytes:
    """The portal sample's first row once per date, with that date in its time columns (and
    ``cells`` in the last row)."""
    header, first, *_ = csv.reader(io.StringIO(PORTAL.read_text(encoding="utf-8-sig")))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for n, date in enumerate(dates):
        row = dict(zip(header, first, strict=True))
        row.update({column: date for column in TIMES})
        row["Id"] = f"00000000-0000-0000-0000-{n:012d}"
        if n == len(dates) - 1:
            row.update(cells)
        writer.writerow(row.values())
    return out.getvalue().encode()


def parse(data: bytes, name: str = "export.csv") -> Parsed:
    items = read_stream(io.BytesIO(data), name, 1 << 20)
    return parse_items(items, kind=None, received_at=RECEIVED, enricher=ENRICHER, keep_models=True)


def days(p: Parsed) -> list[tuple[int, int, int]]:
    return [(s.created_date_time.year, s.created_date_time.month, s.created_date_time.day)
            for s in p.sign_ins]  # fmt: skip


def test_a_day_first_file_is_read_day_first_from_its_first_row() -> None:
    """Its first dates could be either; the day past 12 in a later row tells, and every row of
    the file is read by it (month first, the first two would have been February and May)."""
    p = parse(portal_csv(["02/03/2026, 10:00:00", "05/03/2026, 11:00:00.250",
                          "13/03/2026, 23:59:59"]))  # fmt: skip
    assert p.rejects == []
    assert days(p) == [(2026, 3, 2), (2026, 3, 5), (2026, 3, 13)]
    assert p.sign_ins[1].created_date_time == datetime(2026, 3, 5, 11, 0, 0, 250000, tzinfo=UTC)


def test_a_us_file_stays_month_first() -> None:
    p = parse(portal_csv(["8/2/2021, 1:29:25.983 PM", "8/13/2021, 2:00:00 PM", "9/1/2021, 1:00 AM"]))
    assert p.rejects == []
    assert days(p) == [(2021, 8, 2), (2021, 8, 13), (2021, 9, 1)]


def test_a_file_no_date_of_which_tells_is_read_month_first_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="vigil.ingest.csv_reader"):
        p = parse(portal_csv(["02/03/2026, 10:00:00", "04/04/2026, 10:00:00"]), "eu.csv")
    assert days(p) == [(2026, 2, 3), (2026, 4, 4)]
    (warning,) = caplog.records
    assert "eu.csv" in warning.getMessage() and "'02/03/2026, 10:00:00'" in warning.getMessage()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="vigil.ingest.csv_reader"):
        parse(portal_csv(["05/05/2026, 10:00:00", "2026-05-06T10:00:00Z"]))
    assert caplog.records == []  # the same either way: nothing to warn of


def test_the_first_date_that_tells_decides_and_a_later_one_of_the_other_order_is_rejected() -> None:
    p = parse(portal_csv(["01/03/2026, 10:00:00", "03/14/2026, 10:00:00", "13/03/2026, 10:00:00"]))
    assert days(p) == [(2026, 1, 3), (2026, 3, 14)]
    (reject,) = p.rejects
    assert reject.line == 4
    assert "'13/03/2026, 10:00:00': month 13; this file's dates read month first" in reject.reason
    p = parse(portal_csv(["13/03/2026, 10:00:00", "03/14/2026, 10:00:00"]))
    assert days(p) == [(2026, 3, 13)]
    assert "'03/14/2026, 10:00:00': month 14; this file's dates read day first" in p.rejects[0].reason


def test_rows_held_for_the_order_keep_their_place_among_bad_rows() -> None:
    data = portal_csv(["02/03/2026, 10:00:00", "03/03/2026, 10:00:00", "14/03/2026, 10:00:00"])
    lines = data.split(b"\r\n")
    lines.insert(2, b"just,three,cells")
    p = parse(b"\r\n".join(lines))
    assert [r.line for r in p.rejects] == [3]
    assert days(p) == [(2026, 3, 2), (2026, 3, 3), (2026, 3, 14)]


def test_rows_held_for_the_order_are_kept_when_the_file_breaks_off(tmp_path: Path) -> None:
    """A damaged gzip stream ends the file with a read error: the rows before it are kept."""
    whole = gzip.compress(portal_csv([f"0{d}/03/2026, 10:00:00" for d in range(1, 8)] * 40))
    items = list(read_stream(io.BytesIO(whole[: len(whole) * 2 // 3]), "cut.csv.gz", 1 << 20))
    errors = [i for i in items if isinstance(i, ReadError)]
    assert len(errors) == 1 and errors == items[-1:]
    assert len(items) > 100  # the whole rows before the damage


def test_the_order_is_decided_within_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past UNDECIDED_MAX rows without a telling date, the rows held go on month first."""
    monkeypatch.setattr(csv_reader, "UNDECIDED_MAX", 2)
    p = parse(portal_csv(["02/03/2026, 10:00:00", "03/03/2026, 10:00:00", "14/03/2026, 10:00"]))
    assert days(p) == [(2026, 2, 3), (2026, 3, 3)]
    assert len(p.rejects) == 1 and "looks day first" in p.rejects[0].reason


def test_only_time_columns_tell_the_order() -> None:
    """Another cell's text (an app's name, a user agent: set by whoever owns the app) must not
    turn a US file's dates around (found by a reviewer: it shifted them by months, silently)."""
    dates = ["3/1/2026, 1:00:00 PM", "3/5/2026, 2:00:00 PM", "3/12/2026, 9:00:00 AM"]
    p = parse(portal_csv(dates, ServicePrincipalName="13/01/2026 10:00 backup job",
                         UserAgent="13/01/2026, 10:00 agent"))  # fmt: skip
    assert p.rejects == [] and days(p) == [(2026, 3, 1), (2026, 3, 5), (2026, 3, 12)]


def test_a_date_without_a_space_after_its_comma_tells_too() -> None:
    p = parse(portal_csv(["02/03/2026,10:00:00", "13/03/2026,10:00:00"]))
    assert p.rejects == [] and days(p) == [(2026, 3, 2), (2026, 3, 13)]


def test_the_rows_held_are_bounded_in_bytes_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_reader, "UNDECIDED_BYTES", 1)
    p = parse(portal_csv(["02/03/2026, 10:00:00", "14/03/2026, 10:00:00"]))
    assert days(p) == [(2026, 2, 3)] and "looks day first" in p.rejects[0].reason
