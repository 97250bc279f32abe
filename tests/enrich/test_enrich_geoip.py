"""GeoIP: geoip2fast's bundled data offline, MaxMind .mmdb precedence, non-global addresses."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest

from vigil.enrich import GeoInfo, GeoIP


class FakeReader:
    def __init__(self, records: dict[str, Any]) -> None:
        self.records = records
        self.closed = False

    def get(self, ip: str) -> Any:
        if ":" in ip:
            raise ValueError("IPv6 address in an IPv4-only database")
        return self.records.get(ip)

    def close(self) -> None:
        self.closed = True


@pytest.fixture(scope="module")
def bundled() -> GeoIP:
    return GeoIP()


@pytest.mark.parametrize(
    ("ip", "country", "org"),
    [
        ("8.8.8.8", "US", "GOOGLE"),
        ("52.1.1.1", "US", "AMAZON-AES"),
        ("5.9.0.1", "DE", "Hetzner Online GmbH"),
        ("2a01:4f8::1", "DE", "Hetzner Online GmbH"),
        ("2001:4860:4860::8888", "US", "GOOGLE"),
        ("::ffff:8.8.8.8", "US", "GOOGLE"),
    ],
)
def test_bundled_data_gives_country_and_org_but_no_number(
    bundled: GeoIP, ip: str, country: str, org: str
) -> None:
    assert bundled.lookup(ip) == GeoInfo(country=country, asn=None, asn_org=org)


@pytest.mark.parametrize(
    "ip", ["10.0.0.1", "192.168.1.1", "127.0.0.1", "::1", "fe80::1", "100.64.0.1", "garbage", ""]
)
def test_non_global_and_invalid_addresses_are_unknown(bundled: GeoIP, ip: str) -> None:
    assert bundled.lookup(ip) == GeoInfo()


def test_mmdb_readers_take_precedence_and_fall_through() -> None:
    country = FakeReader({"8.8.8.8": {"country": {"iso_code": "ca"}}})
    asn = FakeReader(
        {
            "8.8.8.8": {
                "autonomous_system_number": 15169,
                "autonomous_system_organization": "Google LLC",
            },
            "5.9.0.1": {
                "autonomous_system_number": 24940,
                "autonomous_system_organization": "Hetzner",
            },
        }
    )
    geo = GeoIP(country_mmdb=country, asn_mmdb=asn)
    assert geo.lookup("8.8.8.8") == GeoInfo("CA", 15169, "Google LLC")
    # no country record → the bundled country; the mmdb ASN stands
    assert geo.lookup("5.9.0.1") == GeoInfo("DE", 24940, "Hetzner")
    # IPv4-only databases raise for IPv6: fall through to the bundle
    assert geo.lookup("2a01:4f8::1") == GeoInfo("DE", None, "Hetzner Online GmbH")
    geo.close()
    assert country.closed and asn.closed


def test_registered_country_is_used_when_country_is_absent() -> None:
    reader = FakeReader({"8.8.8.8": {"registered_country": {"iso_code": "US"}}})
    geo = GeoIP(country_mmdb=reader, bundled=False)
    assert geo.lookup("8.8.8.8") == GeoInfo("US", None, None)
    assert geo.lookup("1.1.1.1") == GeoInfo()


# --- a real .mmdb file through maxminddb -------------------------------------------------------


def _encode(value: Any) -> bytes:
    """MaxMind DB data-section encoding of str / int / dict (enough for these tests)."""
    if isinstance(value, str):
        raw = value.encode()
        return _control(2, len(raw)) + raw
    if isinstance(value, int):
        raw = value.to_bytes(4, "big").lstrip(b"\x00")
        return _control(6, len(raw)) + raw
    if isinstance(value, dict):
        body = b"".join(_encode(k) + _encode(v) for k, v in value.items())
        return _control(7, len(value)) + body
    raise TypeError(value)


def _control(kind: int, size: int) -> bytes:
    if size < 29:
        return bytes([(kind << 5) | size])
    assert size < 285
    return bytes([(kind << 5) | 29, size - 29])


def write_mmdb(path: Path, networks: dict[str, dict[str, Any]], database_type: str) -> None:
    """A minimal IPv4 MaxMind DB (record size 24) holding ``networks``."""
    nodes: list[list[Any]] = [[None, None]]
    data = b""
    for cidr, record in networks.items():
        net = ipaddress.ip_network(cidr)
        offset = len(data)
        data += _encode(record)
        bits = int(net.network_address)
        node = 0
        for depth in range(net.prefixlen):
            bit = (bits >> (31 - depth)) & 1
            if depth == net.prefixlen - 1:
                nodes[node][bit] = ("data", offset)
            else:
                if not isinstance(nodes[node][bit], int):
                    nodes.append([None, None])
                    nodes[node][bit] = len(nodes) - 1
                node = nodes[node][bit]
    count = len(nodes)

    def record_value(entry: Any) -> int:
        if entry is None:
            return count
        if isinstance(entry, tuple):
            return count + 16 + entry[1]
        return entry

    tree = b"".join(
        record_value(left).to_bytes(3, "big") + record_value(right).to_bytes(3, "big")
        for left, right in nodes
    )
    uint16 = {
        "record_size",
        "ip_version",
        "binary_format_major_version",
        "binary_format_minor_version",
    }
    metadata = {
        "node_count": count,
        "record_size": 24,
        "ip_version": 4,
        "database_type": database_type,
        "binary_format_major_version": 2,
        "binary_format_minor_version": 0,
    }
    meta = _control(7, len(metadata) + 3)
    for key, value in metadata.items():
        encoded = b"\xa2" + value.to_bytes(2, "big") if key in uint16 else _encode(value)
        meta += _encode(key) + encoded
    meta += _encode("build_epoch") + bytes([0x04, 0x02]) + (1_700_000_000).to_bytes(4, "big")
    meta += _encode("languages") + bytes([0x00, 0x04]) + _encode("description") + _encode({})
    path.write_bytes(tree + b"\x00" * 16 + data + b"\xab\xcd\xefMaxMind.com" + meta)


def test_real_mmdb_files(tmp_path: Path) -> None:
    country_db = tmp_path / "country.mmdb"
    asn_db = tmp_path / "asn.mmdb"
    write_mmdb(country_db, {"81.2.69.0/24": {"country": {"iso_code": "NZ"}}}, "GeoLite2-Country")
    write_mmdb(
        asn_db,
        {
            "81.2.69.0/24": {
                "autonomous_system_number": 64500,
                "autonomous_system_organization": "Doc Net",
            }
        },
        "GeoLite2-ASN",
    )
    geo = GeoIP(country_mmdb=country_db, asn_mmdb=str(asn_db), bundled=False)
    try:
        assert geo.lookup("81.2.69.143") == GeoInfo("NZ", 64500, "Doc Net")
        assert geo.lookup("8.8.8.8") == GeoInfo()
        assert geo.lookup("2001:4860::1") == GeoInfo()
    finally:
        geo.close()
