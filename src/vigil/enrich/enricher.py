"""Sign-in enrichment: fill ``asn``, ``asn_org``, ``is_hosting`` and the country from the IP.

Contract of :meth:`Enricher.enrich`: never overwrite what the log says. ``asn`` / ``asn_org``
are filled only when the log left them empty; ``is_hosting`` is computed from the final ASN /
organisation (the log's ASN wins) when the sign-in has none; ``location.country_or_region`` is
filled only when the log gave no country (other location fields are kept). A sign-in without an
IP, or one where nothing new is learnt, is returned unchanged (the same object).

IP lookups go through a per-instance LRU cache (most tenants see few distinct addresses), so the
cached path costs a dict probe plus the rebuild of the frozen ``SignIn``. :meth:`Enricher.ip_facts`
memoises the whole result per (IP, logged ASN, location) for the bulk path, which builds the
sign-in once with the facts already in.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from vigil.enrich.geoip import GeoIP
from vigil.enrich.hosting import HostingClassifier
from vigil.model import Location, SignIn
from vigil.normalize.fastbuild import fast_replacer

DEFAULT_CACHE_SIZE = 65_536

_with_ip_facts = fast_replacer(SignIn, "asn", "asn_org", "is_hosting", "location")


_Facts = tuple[int | None, str | None, bool | None, Location | None]


@dataclass(frozen=True, slots=True)
class IpInfo:
    country: str | None = None
    asn: int | None = None
    asn_org: str | None = None
    is_hosting: bool | None = None


class Enricher:
    """Offline IP enrichment of sign-ins (see the module docstring for the contract)."""

    def __init__(
        self,
        geoip: GeoIP | None = None,
        hosting: HostingClassifier | None = None,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        self.geoip = geoip if geoip is not None else GeoIP()
        self.hosting = hosting if hosting is not None else HostingClassifier()
        self.lookup = functools.lru_cache(maxsize=cache_size)(self._lookup)
        self._facts: dict[tuple[str, int | None, Location | None], _Facts] = {}
        self._facts_max = cache_size

    def _lookup(self, ip: str) -> IpInfo:
        """Facts about one IP address (uncached; :attr:`lookup` is the cached version)."""
        geo = self.geoip.lookup(ip)
        hosting = self.hosting.is_hosting(geo.asn, geo.asn_org, ip)
        return IpInfo(geo.country, geo.asn, geo.asn_org, hosting)

    def ip_facts(self, ip: str, asn: int | None, location: Location | None) -> _Facts:
        """``(asn, asn_org, is_hosting, location)`` for a sign-in from ``ip`` that the log gave
        ``asn`` and ``location`` but no organisation or hosting flag (Graph's shape); memoised.

        Equal to the fields :meth:`enrich` sets on such a sign-in.
        """
        key = (ip, asn, location)
        found = self._facts.get(key)
        if found is None:
            info = self.lookup(ip)
            final_asn = asn if asn is not None else info.asn
            org = info.asn_org
            if asn is not None and asn != info.asn:
                hosting = self.hosting.is_hosting(final_asn, org, ip)
            else:
                hosting = info.is_hosting
            if info.country is not None and (
                location is None or location.country_or_region is None
            ):
                location = _with_country(location, info.country)
            if len(self._facts) >= self._facts_max:
                self._facts.clear()
            found = self._facts[key] = (final_asn, org, hosting, location)
        return found

    def enrich(self, signin: SignIn) -> SignIn:
        ip = signin.ip_address
        if ip is None:
            return signin
        if signin.asn_org is None and signin.is_hosting is None:
            asn, org, hosting, location = self.ip_facts(ip, signin.asn, signin.location)
            unchanged = asn == signin.asn and org is None and hosting is None
            if unchanged and location is signin.location:
                return signin
            return _with_ip_facts(signin, asn, org, hosting, location)
        info = self.lookup(ip)
        asn = signin.asn if signin.asn is not None else info.asn
        org = signin.asn_org if signin.asn_org is not None else info.asn_org
        hosting = signin.is_hosting
        if hosting is None:
            if signin.asn is not None and signin.asn != info.asn:
                hosting = self.hosting.is_hosting(asn, org, ip)
            else:
                hosting = info.is_hosting
        location = signin.location
        if info.country is not None and (location is None or location.country_or_region is None):
            location = _with_country(location, info.country)
        if (
            asn == signin.asn
            and org == signin.asn_org
            and hosting == signin.is_hosting
            and location is signin.location
        ):
            return signin
        return _with_ip_facts(signin, asn, org, hosting, location)


@functools.lru_cache(maxsize=4096)
def _with_country(location: Location | None, country: str) -> Location:
    if location is None:
        return Location(country_or_region=country)
    return Location(
        city=location.city,
        state=location.state,
        country_or_region=country,
        latitude=location.latitude,
        longitude=location.longitude,
        altitude=location.altitude,
    )
