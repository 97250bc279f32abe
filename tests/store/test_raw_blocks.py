"""Raw records in blocks: rows point at their line; re-ingest and overlaps add no raw data twice.

Runs on SQLite and PostgreSQL (the rowid shortcut on SQLite, the id lookup elsewhere).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from vigil.model import Location, SignIn, SignInKind
from vigil.store.rawcodec import compress_block
from vigil.store.signin_rows import sign_in_row
from vigil.store.tables import raw_blocks, sign_ins

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _sign_in(n: int) -> SignIn:
    return SignIn(
        id=f"si-{n}",
        created_date_time=T0 + timedelta(seconds=n),
        kind=SignInKind.servicePrincipal,
        service_principal_id="sp-a",
        ip_address="20.1.2.3",
        location=Location(city="Dublin", country_or_region="IE", latitude=53.3),
        asn=8075,
    )


def _raw(n: int) -> bytes:
    return b'{"id":"si-%d","n":%d}' % (n, n)


def _batch(numbers: list[int], per_block: int) -> tuple[list[tuple], list[tuple[int, bytes]]]:
    rows = [sign_in_row(_sign_in(n), None) for n in numbers]
    blocks = [
        (len(part), compress_block([_raw(n) for n in part]))
        for part in (numbers[i : i + per_block] for i in range(0, len(numbers), per_block))
    ]
    return rows, blocks


def _counts(store) -> tuple[int, int, int]:
    with store.engine.connect() as conn:
        blocks = conn.execute(sa.select(sa.func.count()).select_from(raw_blocks)).scalar_one()
        rows = conn.execute(sa.select(sa.func.count()).select_from(sign_ins)).scalar_one()
        pointed = conn.execute(
            sa.select(sa.func.count(sa.distinct(sign_ins.c.raw_block)))
        ).scalar_one()
    return rows, blocks, pointed


def test_rows_point_at_their_raw_record_and_read_back(store):
    rows, blocks = _batch(list(range(7)), per_block=3)
    assert store.activity.add_sign_in_rows(rows, None, blocks) == [f"si-{n}" for n in range(7)]
    for n in range(7):
        assert store.activity.raw_record("signins", f"si-{n}") == _raw(n)
    assert store.activity.sign_ins_of("sp-a") == [_sign_in(n) for n in range(7)]
    assert _counts(store) == (7, 3, 3)


def test_reingest_adds_no_rows_and_no_blocks(store):
    rows, blocks = _batch(list(range(6)), per_block=3)
    assert store.activity.add_sign_in_rows(rows, None, blocks, want_ids=False) == 6
    assert store.activity.add_sign_in_rows(rows, None, blocks, want_ids=False) == 0
    assert store.activity.add_sign_in_rows(rows, None, blocks) == []
    assert _counts(store) == (6, 2, 2)


def test_overlapping_input_keeps_only_blocks_that_new_rows_use(store):
    first, blocks = _batch(list(range(6)), per_block=3)
    store.activity.add_sign_in_rows(first, None, blocks)
    # 3, 4, 5 again (a block of old records only), then 6..8, with a duplicate inside the batch
    rows, blocks = _batch([3, 4, 5, 6, 7, 7, 8], per_block=3)
    assert store.activity.add_sign_in_rows(rows, None, blocks) == ["si-6", "si-7", "si-8"]
    rows_, blocks_, pointed = _counts(store)
    assert (rows_, pointed) == (9, blocks_)
    assert blocks_ == 4  # [0-2] [3-5] from the first run; [6,7,7] and [8] from the second
    for n in range(9):
        assert store.activity.raw_record("signins", f"si-{n}") == _raw(n)


def test_counts_and_ids_agree(store):
    rows, blocks = _batch([1, 2, 2, 3], per_block=2)
    assert store.activity.add_sign_in_rows(rows, None, blocks, want_ids=False) == 3
    rows, blocks = _batch([3, 4, 5], per_block=2)
    assert store.activity.add_sign_in_rows(rows, None, blocks) == ["si-4", "si-5"]


def test_a_block_that_covers_no_row_is_not_kept(store):
    rows, blocks = _batch(list(range(4)), per_block=2)
    blocks.insert(1, (0, compress_block([])))
    assert store.activity.add_sign_in_rows(rows, None, blocks, want_ids=False) == 4
    assert _counts(store) == (4, 2, 2)
