"""IndicatorSet: addresses in networks of any prefix, ASNs, user agents, validity at a time."""

from __future__ import annotations

from datetime import UTC, datetime

from vigil.intel.indicator import Indicator, IndicatorKind
from vigil.intel.matching import IndicatorSet

T = datetime(2026, 6, 1, tzinfo=UTC)


def ind(id_, kind, value, **kw) -> Indicator:
    return Indicator(id=id_, kind=kind, value=value, source="s", **kw)


def test_lookups_and_validity():
    s = IndicatorSet([
        ind("a", IndicatorKind.ip, "185.220.100.0/22"),
        ind("b", IndicatorKind.ip, "185.220.101.7/32", valid_until=T),
        ind("c", IndicatorKind.ip, "2001:db8::/32", revoked=True),
        ind("d", IndicatorKind.ip, "2001:db8:1::/48"),
        ind("e", IndicatorKind.asn, "64500", valid_from=T),
        ind("f", IndicatorKind.user_agent, "AzureHound/2.0"),
    ])
    before = datetime(2026, 5, 1, tzinfo=UTC)
    assert sorted(i.id for i in s.ip("185.220.101.7", before)) == ["a", "b"]
    assert [i.id for i in s.ip("185.220.101.7", T)] == ["a"]  # valid_until is exclusive
    assert [i.id for i in s.ip("2001:db8:1::5", T)] == ["d"]  # revoked never matches
    assert s.ip("185.220.104.1", T) == [] and s.ip("not an ip", T) == [] and s.ip(None, T) == []
    assert sorted(i.id for i in s.ip("2001:db8::9", None)) == ["c"]  # any validity
    assert [i.id for i in s.asn(64500, T)] == ["e"] and s.asn(64500, before) == []
    assert [i.id for i in s.user_agent(" azurehound/2.0", T)] == ["f"]
    assert len(s) == 6 and not s.empty and IndicatorSet().empty


def test_ipv4_mapped_ipv6_is_the_ipv4_address():
    """RFC 4291 §2.5.5.2: ::ffff:192.0.2.1 is the IPv4 client 192.0.2.1 (dual-stack front ends log
    it so); it matches IPv4 indicators, and an indicator written in that form matches IPv4."""
    from vigil.intel.indicator import normalize_value

    assert normalize_value(IndicatorKind.ip, "::ffff:198.51.100.7") == "198.51.100.7/32"
    assert normalize_value(IndicatorKind.ip, "::ffff:203.0.113.0/120") == "203.0.113.0/24"
    assert normalize_value(IndicatorKind.ip, "2001:db8::/32") == "2001:db8::/32"
    s = IndicatorSet([
        ind("v4", IndicatorKind.ip, "185.220.101.0/24"),
        ind("mapped", IndicatorKind.ip, normalize_value(IndicatorKind.ip, "::ffff:198.51.100.7")),
    ])
    assert [i.id for i in s.ip("::ffff:185.220.101.7", T)] == ["v4"]
    assert [i.id for i in s.ip("::FFFF:b9dc:6507", T)] == ["v4"]
    assert [i.id for i in s.ip("198.51.100.7", T)] == ["mapped"]
    assert s.ip("::ffff:185.220.102.7", T) == [] and s.ip("64:ff9b::b9dc:6507", T) == []
