"""IndicatorRepository: rows per feed, removal by feed and id, versions; read back as tuples."""

from __future__ import annotations

from datetime import UTC, datetime

from vigil.intel.indicator import Indicator, IndicatorKind
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
    changed, _ = repo.upsert([ind("isac", revoked=True)], NOW)
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
