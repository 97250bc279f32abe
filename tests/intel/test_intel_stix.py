"""STIX 2.1 indicators: patterns, versions, validity, rejects."""

from __future__ import annotations

import pytest

from vigil.intel.indicator import IndicatorKind
from vigil.intel.stix import Ignored, PatternError, load_stix, parse_pattern

UA_PATH = "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'"


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[ipv4-addr:value = '198.51.100.7']", [("ip", "198.51.100.7")]),
        ("[ipv4-addr:value ISSUBSET '185.220.100.0/22']", [("ip", "185.220.100.0/22")]),
        ("[ipv6-addr:value = '2001:db8::1'] OR [autonomous-system:number = 64500]",
         [("ip", "2001:db8::1"), ("asn", "64500")]),
        ("[ipv4-addr:value IN ('192.0.2.1', '192.0.2.2')]",
         [("ip", "192.0.2.1"), ("ip", "192.0.2.2")]),
        (f"[{UA_PATH} = 'Mozilla/5.0 (X11; Linux) it\\'s']",
         [("userAgent", "Mozilla/5.0 (X11; Linux) it's")]),
        ("[network-traffic:src_ref.value = '203.0.113.9' OR domain-name:value = 'x.example']",
         [("ip", "203.0.113.9")]),
    ],
)
def test_supported_patterns(pattern, expected):
    assert [(k.value, v) for k, v in parse_pattern(pattern)] == expected


@pytest.mark.parametrize(
    "pattern",
    [
        "[ipv4-addr:value='192.0.2.1'] OR [ipv4-addr:value=='192.0.2.2']",
        "[ipv4-addr:value = '192.0.2.1']\nOR\n[ipv4-addr:value = '192.0.2.2']",
        "[ipv4-addr:value = '192.0.2.1']\tOR [ipv4-addr:value = '192.0.2.2']",
        "[ipv4-addr:value = '192.0.2.1']OR[ipv4-addr:value = '192.0.2.2']",
        "([ipv4-addr:value = '192.0.2.1'] OR [ipv4-addr:value = '192.0.2.2'])",
        "[(ipv4-addr:value = '192.0.2.1') OR (ipv4-addr:value = '192.0.2.2')]",
        "[ipv4-addr:value = '192.0.2.1' OR (ipv4-addr:value = '192.0.2.2'\n  OR domain-name:value = 'OR')]",
    ],
)
def test_whitespace_and_parentheses_as_the_grammar_allows(pattern):
    """STIX 2.1 §9 grammar: whitespace between tokens is optional and any kind, ``==`` is ``=``,
    observation and comparison expressions may be parenthesised."""
    assert [(k.value, v) for k, v in parse_pattern(pattern)] == [
        ("ip", "192.0.2.1"), ("ip", "192.0.2.2")]


@pytest.mark.parametrize(
    ("pattern", "error"),
    [
        ("[ipv4-addr:value = '1.2.3.4' AND network-traffic:dst_port = 443]", PatternError),
        ("[ipv4-addr:value = '1.2.3.4'] WITHIN 300 SECONDS", PatternError),
        ("[file:hashes.'SHA-256' = 'aa']", Ignored),
        ("ipv4-addr:value = '1.2.3.4'", PatternError),
    ],
)
def test_unsupported_patterns(pattern, error):
    with pytest.raises(error):
        parse_pattern(pattern)


def _ind(id_: str, pattern: str, **kw) -> dict:
    return {"type": "indicator", "spec_version": "2.1", "id": id_, "pattern": pattern,
            "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
            "modified": kw.pop("modified", "2026-01-01T00:00:00.000Z"),
            "indicator_types": ["malicious-activity"], **kw}


def test_bundle_latest_version_validity_and_rejects():
    bundle = {"type": "bundle", "id": "bundle--1", "objects": [
        {"type": "identity", "id": "identity--x", "name": "feed"},
        _ind("indicator--a", "[ipv4-addr:value = '198.51.100.7']", confidence=90,
             valid_until="2026-06-01T00:00:00Z", name="C2"),
        _ind("indicator--a", "[ipv4-addr:value = '198.51.100.7']", revoked=True,
             modified="2026-02-01T00:00:00.000Z"),
        _ind("indicator--b", "[ipv4-addr:value = 'not-an-ip']"),
        _ind("indicator--c", "[url:value = 'http://x']"),
        {**_ind("indicator--d", "rule x {}"), "pattern_type": "yara"},
    ]}
    result = load_stix(bundle, "feed-1", "feed.json")
    (a,) = result.indicators
    assert (a.id, a.kind, a.value, a.revoked, a.source) == (
        "indicator--a", IndicatorKind.ip, "198.51.100.7/32", True, "feed-1")
    assert a.valid_until is None  # the newest version has none
    assert [w for w, _ in result.rejects] == ["feed.json#objects[3] (indicator--b)"]
    assert result.ignored == 2


def test_not_a_bundle_is_rejected():
    assert load_stix({"hello": 1}, "s", "f.json").rejects == [
        ("f.json", "not a STIX bundle, envelope or object")]


def test_newest_version_is_chosen_by_time_not_by_text():
    # "...:00.500Z" is half a second newer than "...:00Z" but sorts before it as text
    bundle = [_ind("indicator--a", "[ipv4-addr:value = '198.51.100.7']",
                   modified="2026-02-01T00:00:00Z"),
              _ind("indicator--a", "[ipv4-addr:value = '198.51.100.7']", revoked=True,
                   modified="2026-02-01T00:00:00.500Z"),
              _ind("indicator--b", "[ipv4-addr:value = '198.51.100.8']", revoked=True,
                   modified="2026-02-01T00:00:00.500Z"),
              _ind("indicator--b", "[ipv4-addr:value = '198.51.100.8']",
                   modified="2026-02-01T00:00:00.4Z")]
    result = load_stix(bundle, "feed", "feed.json")
    assert [(i.id, i.revoked) for i in result.indicators] == [
        ("indicator--a", True), ("indicator--b", True)]
