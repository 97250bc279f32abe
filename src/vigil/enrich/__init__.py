"""Offline enrichment: IP → country / ASN / hosting provider (threat-intel sets later).

:class:`GeoIP` (MaxMind ``.mmdb`` when configured, geoip2fast's bundled GeoLite2 data otherwise),
:class:`HostingClassifier` (curated ``hosting_asns.csv`` + extra ASNs / CIDR ranges) and
:class:`Enricher`, which fills a ``SignIn``'s missing IP facts without overwriting the log's.
"""

from vigil.enrich.enricher import Enricher, IpInfo
from vigil.enrich.geoip import GeoInfo, GeoIP
from vigil.enrich.hosting import HostingAsn, HostingClassifier, load_hosting_asns

__all__ = [
    "Enricher",
    "GeoIP",
    "GeoInfo",
    "HostingAsn",
    "HostingClassifier",
    "IpInfo",
    "load_hosting_asns",
]
