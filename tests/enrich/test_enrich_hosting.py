"""The curated hosting list and the classifier built on it."""

from __future__ import annotations

import pytest

from vigil.enrich import GeoIP, HostingAsn, HostingClassifier, load_hosting_asns

#: ASNs the issue names explicitly; the packaged list must keep them.
REQUIRED = {
    16509: "AWS", 14618: "AWS", 8075: "Microsoft", 15169: "Google", 396982: "GCP",
    14061: "DigitalOcean", 16276: "OVH", 24940: "Hetzner", 63949: "Linode/Akamai",
    20473: "Vultr/Choopa", 31898: "Oracle", 45102: "Alibaba", 132203: "Tencent",
    51167: "Contabo", 12876: "Scaleway", 60781: "Leaseweb", 16265: "Leaseweb", 9009: "M247",
}  # fmt: skip


def test_packaged_list_is_well_formed_and_complete() -> None:
    entries = load_hosting_asns()
    asns = [e.asn for e in entries]
    assert len(asns) == len(set(asns)), "one row per ASN"
    assert set(REQUIRED) <= set(asns)
    assert all(e.asn > 0 and e.name and e.comment for e in entries)


def test_listed_names_exist_in_the_bundled_geolite_data() -> None:
    """Names are matched exactly, so each must be spelled as the bundled data spells it."""
    GeoIP().lookup("8.8.8.8")  # loads the bundle
    import geoip2fast.geoip2fast as data

    known = set(data.mainListNamesASN)
    assert [e.name for e in load_hosting_asns() if e.name not in known] == []


@pytest.mark.parametrize(
    ("asn", "org", "ip", "expected"),
    [
        (16509, None, None, True),
        (None, "amazon-02", None, True),  # name match is case-insensitive
        (None, "Hetzner Online GmbH", "5.9.0.1", True),
        (3320, "Deutsche Telekom AG", "80.128.0.1", False),
        (None, "Telstra Limited", None, False),
        (None, None, "1.2.3.4", None),
        (None, None, None, None),
    ],
)
def test_default_classifier(
    asn: int | None, org: str | None, ip: str | None, expected: bool | None
) -> None:
    assert HostingClassifier().is_hosting(asn, org, ip) is expected


def test_extra_asns_and_ranges() -> None:
    classifier = HostingClassifier(
        [HostingAsn(64500, "Example Cloud")],
        extra_asns=[64501],
        extra_cidrs=["198.51.100.0/24", "2001:db8::/32"],
    )
    assert classifier.is_hosting(64501, None) is True
    assert classifier.is_hosting(None, "EXAMPLE CLOUD") is True
    assert classifier.is_hosting(None, None, "198.51.100.9") is True
    assert classifier.is_hosting(None, None, "2001:db8::5") is True
    assert classifier.is_hosting(None, None, "198.51.101.9") is None
    assert classifier.is_hosting(16509, None) is False  # not in this custom list
    assert classifier.is_hosting(None, None, "not an ip") is None


def test_load_from_text() -> None:
    text = "asn,name,comment\n64500,Example Cloud,test\n\n"
    assert load_hosting_asns(text) == (HostingAsn(64500, "Example Cloud", "test"),)
