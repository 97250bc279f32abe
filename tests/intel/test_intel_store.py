"""IndicatorRepository: rows per feed, removal by feed and id, versions; read back as tuples."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest

from vigil.intel.indicator import Indicator, IndicatorKind
from vigil.store.database import IMMEDIATE, connect
from vigil.store.intel import IndicatorRepository

NOW = datetime(2026, 11, 2, tzinfo=UTC)


def ind(source: str, id_: str = "indicator--a", value: str = "198.51.100.7/32",
        **kw) -> Indicator:
    return Indicator(id=id_, kind=IndicatorKind.ip, value=value, source=source, **kw)


def rows(repo: IndicatorRepository, source: str | None = None) -> set[tuple]:
    return {(i.source, i.id, i.value, i.revoked) for i in repo.all(source)}


def test_the_same_indicator_in_two_feeds_is_kept_per_feed(store):
    """A STIX / MISP id published by two feeds (a mirror, an ISAC re-sharing a vendor's bundle):
    removing or re-syncing one feed leaves the other's."""
    repo = IndicatorRepository(store.engine)
    repo.upsert([ind("vendor")], NOW)
    repo.upsert([ind("isac")], NOW)
    assert rows(repo) == {("vendor", "indicator--a", "198.51.100.7/32", False),
                          ("isac", "indicator--a", "198.51.100.7/32", False)}
    # a revocation in one feed is that feed's
    changed = repo.upsert([ind("isac", revoked=True)], NOW).changed
    assert [(i.source, i.revoked) for i in changed] == [("isac", True)]
    assert rows(repo, "vendor") == {("vendor", "indicator--a", "198.51.100.7/32", False)}
    # a TAXII sync of one feed that no longer holds it
    assert repo.remove(source="isac", keep=set()) == 1
    assert rows(repo) == {("vendor", "indicator--a", "198.51.100.7/32", False)}
    repo.upsert([ind("isac")], NOW)
    assert repo.remove(source="isac") == 1
    assert rows(repo) == {("vendor", "indicator--a", "198.51.100.7/32", False)}
    # by id: every feed's rows, or one feed's
    repo.upsert([ind("isac")], NOW)
    assert repo.remove(["indicator--a"], source="isac") == 1
    assert rows(repo) == {("vendor", "indicator--a", "198.51.100.7/32", False)}
    repo.upsert([ind("isac")], NOW)
    assert repo.remove(["indicator--a"]) == 2 and rows(repo) == set()


def test_a_new_version_replaces_the_values_of_the_old_one(store):
    """A newer version of an indicator naming another address (or nothing Vigil matches any
    more) retires the old address in that feed: it must not keep matching."""
    repo = IndicatorRepository(store.engine)
    repo.upsert([ind("vendor", value="192.0.2.1/32"), ind("vendor", value="192.0.2.2/32"),
                 ind("isac", value="192.0.2.1/32"), ind("vendor", "indicator--b")], NOW)
    stored = repo.upsert([ind("vendor", value="192.0.2.2/32"), ind("vendor", value="192.0.2.3/32")],
                         NOW)
    assert ([i.value for i in stored.changed], stored.unchanged, stored.removed) == (
        ["192.0.2.3/32"], 1, 1)
    assert {(i.source, i.id, i.value) for i in repo.all()} == {
        ("vendor", "indicator--a", "192.0.2.2/32"), ("vendor", "indicator--a", "192.0.2.3/32"),
        ("isac", "indicator--a", "192.0.2.1/32"), ("vendor", "indicator--b", "198.51.100.7/32")}
    # the newest version of indicator--b is about a domain now
    assert repo.upsert([], NOW, versions={("vendor", "indicator--b"): None}).removed == 1
    assert {i.id for i in repo.all("vendor")} == {"indicator--a"}


def test_adding_a_newer_bundle_retires_the_old_address(tmp_path, db_url):
    import json

    from vigil.app import build
    from vigil.intel.service import intel_service
    from vigil.settings import load_settings

    app = build(load_settings(database_url=db_url), clock=lambda: NOW, check_schema=False)
    try:
        from vigil.store.schema import upgrade

        upgrade(app.store.engine)
        service = intel_service(app)
        for modified, pattern in (("2026-01-01T00:00:00Z", "[ipv4-addr:value = '192.0.2.1']"),
                                  ("2026-02-01T00:00:00Z", "[ipv4-addr:value = '192.0.2.9']"),
                                  ("2026-03-01T00:00:00Z", "[domain-name:value = 'x.example']")):
            feed = tmp_path / "feed.json"
            feed.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": [
                {"type": "indicator", "spec_version": "2.1", "id": "indicator--a",
                 "pattern": pattern, "pattern_type": "stix", "modified": modified,
                 "valid_from": "2026-01-01T00:00:00Z"}]}))
            summary = service.add([feed])
            if modified.startswith("2026-02"):
                assert summary.removed == 1
                assert [i.value for i in service.list()] == ["192.0.2.9/32"]
        assert service.list() == [] and summary.removed == 1
    finally:
        app.close()


def test_an_older_version_read_later_changes_nothing(store):
    """STIX 2.1 §3.6: the version with the latest ``modified`` is the current one. Re-adding last
    month's bundle after today's revocation must not bring the indicator back."""
    repo = IndicatorRepository(store.engine)
    jan, feb = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    repo.upsert([ind("vendor", revoked=True, modified=feb)], NOW)
    stored = repo.upsert([ind("vendor", modified=jan), ind("vendor", value="192.0.2.1/32",
                                                           modified=jan)], NOW)
    assert (stored.changed, stored.removed, stored.older) == ([], 0, 1)
    stored = repo.upsert([], NOW, versions={("vendor", "indicator--a"): jan})
    assert (stored.removed, stored.older) == (0, 1)
    assert rows(repo) == {("vendor", "indicator--a", "198.51.100.7/32", True)}
    # the same or a newer version applies; another feed's versions are its own
    assert repo.upsert([ind("vendor", modified=feb)], NOW).changed
    assert repo.upsert([ind("isac", modified=jan)], NOW).changed
    assert rows(repo) == {("vendor", "indicator--a", "198.51.100.7/32", False),
                          ("isac", "indicator--a", "198.51.100.7/32", False)}


@pytest.mark.parametrize("change", ["upsert", "remove"])
def test_a_change_waits_for_another_writer_instead_of_failing(sqlite_store, change):
    """`vigil intel add` / `intel remove --source` while an ingest holds SQLite's write lock:
    a change that reads the feed's rows first must wait for the lock (busy timeout). Begun as a
    plain read, its first write failed at once with "database is locked"."""
    repo = IndicatorRepository(sqlite_store.engine)
    repo.upsert([ind("vendor", value="192.0.2.1/32")], NOW)
    results: list[object] = []

    def run() -> None:
        try:
            if change == "upsert":  # reads the old version, deletes its address, adds the new
                results.append(repo.upsert([ind("vendor", value="192.0.2.2/32")], NOW).removed)
            else:  # reads the feed's rows, deletes those not kept
                results.append(repo.remove(source="vendor", keep=set()))
        except Exception as exc:  # the failure is the finding
            results.append(exc)

    ingest = connect(str(sqlite_store.engine.url))
    with ingest.connect().execution_options(**{IMMEDIATE: True}) as writer, writer.begin():
        writer.exec_driver_sql("SELECT 1")  # holds the write lock, as an ingest's batch does
        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(0.5)
    thread.join(30)
    ingest.dispose()
    assert results == [1]
    want = {("vendor", "indicator--a", "192.0.2.2/32", False)} if change == "upsert" else set()
    assert rows(repo) == want
