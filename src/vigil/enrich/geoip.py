"""Offline IP → country / ASN / AS organisation.

Sources, in order of precedence:

1. MaxMind databases when configured: a country or city ``.mmdb`` (``country.iso_code``, else
   ``registered_country.iso_code``) and an ASN ``.mmdb`` (``autonomous_system_number``,
   ``autonomous_system_organization``), read with ``maxminddb``. A database without a record
   for the address falls through to the next source.
2. geoip2fast's bundled data (``geoip2fast-asn-ipv6.dat.gz``: GeoLite2 country + ASN, IPv4 and
   IPv6, shipped inside the package, no network). It gives the country and the AS organisation
   name but **no AS number**.

Addresses that are not globally routable (private, loopback, link-local, CGNAT, reserved) and
invalid strings give an empty :class:`GeoInfo` (geoip2fast would map ``::1`` into IPv4 space).

geoip2fast keeps its data in module globals, so the bundled data is loaded once per process
(~0.3 s, ~100 MB) on the first lookup that needs it and shared by every :class:`GeoIP`.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

BUNDLED_DATA_FILE = "geoip2fast-asn-ipv6.dat.gz"
_NOT_AN_ORG = frozenset({"", "IANA.ORG", "<unknown>"})


@dataclass(frozen=True, slots=True)
class GeoInfo:
    country: str | None = None  #: ISO 3166-1 alpha-2, e.g. ``DE``
    asn: int | None = None
    asn_org: str | None = None


class MmdbReader(Protocol):
    """What :class:`GeoIP` needs of a ``maxminddb.Reader`` (tests pass fakes)."""

    def get(self, ip_address: str) -> Any: ...


class GeoIP:
    """IP → :class:`GeoInfo` from MaxMind ``.mmdb`` files (optional) and geoip2fast's bundle."""

    def __init__(
        self,
        *,
        country_mmdb: str | Path | MmdbReader | None = None,
        asn_mmdb: str | Path | MmdbReader | None = None,
        bundled: bool = True,
    ) -> None:
        self._country = _open(country_mmdb)
        self._asn = _open(asn_mmdb)
        self._bundled = bundled

    def lookup(self, ip: str) -> GeoInfo:
        """Country, ASN and AS organisation of ``ip``; fields are None when unknown."""
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return GeoInfo()
        if address.version == 6 and address.ipv4_mapped is not None:  # type: ignore[union-attr]
            address = address.ipv4_mapped  # type: ignore[union-attr]
        if not address.is_global:
            return GeoInfo()
        text = str(address)
        country = asn = org = None
        if self._country is not None:
            country = _country_of(_get(self._country, text))
        if self._asn is not None:
            record = _get(self._asn, text)
            if isinstance(record, dict):
                number = record.get("autonomous_system_number")
                asn = number if isinstance(number, int) and number > 0 else None
                org = record.get("autonomous_system_organization") or None
        if self._bundled and (country is None or (asn is None and org is None)):
            result = _bundled_database().lookup(text)
            code = result.country_code
            if country is None and len(code) == 2 and code.isalpha():
                country = code.upper()
            if asn is None and org is None and result.asn_name not in _NOT_AN_ORG:
                org = result.asn_name
        return GeoInfo(country, asn, org)

    def close(self) -> None:
        for reader in (self._country, self._asn):
            close = getattr(reader, "close", None)
            if close is not None:
                close()


def _open(source: str | Path | MmdbReader | None) -> MmdbReader | None:
    if source is None or hasattr(source, "get"):
        return source  # type: ignore[return-value]
    import maxminddb  # only when a database is configured

    return maxminddb.open_database(str(source))  # type: ignore[no-any-return]


def _get(reader: MmdbReader, ip: str) -> Any:
    """A record, or None (also for an IPv6 address asked of an IPv4-only database)."""
    try:
        return reader.get(ip)
    except ValueError:
        return None


def _country_of(record: Any) -> str | None:
    if not isinstance(record, dict):
        return None
    for key in ("country", "registered_country"):
        part = record.get(key)
        if isinstance(part, dict) and isinstance(part.get("iso_code"), str):
            return part["iso_code"].upper()
    return None


@functools.cache
def _bundled_database() -> Any:
    import geoip2fast
    from geoip2fast import GeoIP2Fast

    data_file = Path(geoip2fast.__file__).parent / BUNDLED_DATA_FILE
    return GeoIP2Fast(verbose=False, geoip2fast_data_file=str(data_file))
