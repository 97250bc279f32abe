"""Enricher: fills what the log lacks, never overwrites what it says, caches per IP."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from vigil.enrich import Enricher, GeoInfo, HostingClassifier, IpInfo
from vigil.model import Location, SignIn, SignInKind
from vigil.normalize import normalize

DATA = Path(__file__).resolve().parents[1] / "data"


class CountingGeoIP:
    def __init__(self, answers: dict[str, GeoInfo]) -> None:
        self.answers = answers
        self.calls = 0

    def lookup(self, ip: str) -> GeoInfo:
        self.calls += 1
        return self.answers.get(ip, GeoInfo())


GEO = {
    "5.9.0.1": GeoInfo("DE", None, "Hetzner Online GmbH"),
    "80.128.0.1": GeoInfo("DE", 3320, "Deutsche Telekom AG"),
    "20.190.151.7": GeoInfo("US", 8075, "MICROSOFT-CORP-MSN-AS-BLOCK"),
}


def _signin(**kw: object) -> SignIn:
    base: dict[str, object] = {
        "id": "s",
        "created_date_time": datetime(2024, 5, 14, tzinfo=UTC),
        "kind": SignInKind.servicePrincipal,
        "service_principal_id": "sp",
    }
    base.update(kw)
    return SignIn(**base)  # type: ignore[arg-type]


def _enricher() -> tuple[Enricher, CountingGeoIP]:
    geo = CountingGeoIP(GEO)
    return Enricher(geo, HostingClassifier()), geo  # type: ignore[arg-type]


def test_fills_missing_facts() -> None:
    enricher, _ = _enricher()
    result = enricher.enrich(_signin(ip_address="5.9.0.1"))
    assert (result.asn, result.asn_org, result.is_hosting) == (None, "Hetzner Online GmbH", True)
    assert result.location == Location(country_or_region="DE")


def test_never_overwrites_the_log() -> None:
    enricher, _ = _enricher()
    log_location = Location("Amsterdam", "Noord-Holland", "NL", 52.37, 4.89)
    original = _signin(ip_address="20.190.151.7", asn=65000, location=log_location)
    result = enricher.enrich(original)
    assert result.location is log_location  # the log's country stays, even if GeoIP disagrees
    assert result.asn == 65000  # the log's ASN stays
    assert result.asn_org == "MICROSOFT-CORP-MSN-AS-BLOCK"
    assert result.is_hosting is True  # by the organisation name
    stated = _signin(ip_address="5.9.0.1", is_hosting=False, asn_org="Mine", asn=1)
    assert enricher.enrich(stated).is_hosting is False


def test_keeps_other_location_fields_when_filling_the_country() -> None:
    enricher, _ = _enricher()
    result = enricher.enrich(_signin(ip_address="80.128.0.1", location=Location(city="Bonn")))
    assert result.location == Location(city="Bonn", country_or_region="DE")
    assert (result.asn, result.is_hosting) == (3320, False)


def test_nothing_to_learn_returns_the_same_object() -> None:
    enricher, _ = _enricher()
    no_ip = _signin()
    assert enricher.enrich(no_ip) is no_ip
    private = _signin(ip_address="10.0.0.1")
    assert enricher.enrich(private) is private
    done = enricher.enrich(_signin(ip_address="5.9.0.1"))
    assert enricher.enrich(done) is done


def test_lookups_are_cached_per_ip() -> None:
    enricher, geo = _enricher()
    for _ in range(5):
        enricher.enrich(_signin(ip_address="5.9.0.1"))
        enricher.enrich(_signin(ip_address="80.128.0.1"))
    assert geo.calls == 2
    assert enricher.lookup("5.9.0.1") == IpInfo("DE", None, "Hetzner Online GmbH", True)


def test_with_the_bundled_data_on_a_golden_sign_in() -> None:
    page = json.loads((DATA / "graph" / "signins_sp.page.json").read_text())
    signin = normalize(page["value"][0])
    assert isinstance(signin, SignIn)
    result = Enricher().enrich(signin)
    # The log gave asn 8075 and the Amsterdam location; the bundle adds the organisation only.
    assert (result.asn, result.asn_org, result.is_hosting) == (
        8075,
        "MICROSOFT-CORP-MSN-AS-BLOCK",
        True,
    )
    assert result.location == signin.location
