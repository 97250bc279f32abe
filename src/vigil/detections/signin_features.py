"""The properties of a workload sign-in that ``suspiciousSignins`` learns, and how they are read.

=========  =====================  ============================================================
feature    label                  value
=========  =====================  ============================================================
``ip``     IP                     ``ipAddress`` as normalized
``net``    address block          its /24 (IPv4) or /48 (IPv6), e.g. ``20.61.3.0/24``
``asn``    ASN                    ``AS8075`` (the log's ``autonomousSystemNumber`` or enrichment)
``cc``     country                ``location.countryOrRegion`` (the log's, else enrichment)
``host``   network type           ``hosting`` / ``non-hosting`` (enrichment)
``res``    resource               ``resourceDisplayName`` (else ``resourceId``)
``uaf``    user agent             the user agent's product family, e.g. ``azsdk-python-identity``
``ua``     user agent version     family and major.minor version, e.g. ``azsdk-python-identity/1.17``
``ct``     credential type        ``clientCredentialType``
``key``    credential             ``servicePrincipalCredentialKeyId``, else the federated
                                  credential id, else the certificate thumbprint
=========  =====================  ============================================================

A sign-in without an IP has no network features; one without a user agent or credential id has
the value ``-`` (so "the user agent disappeared" is a change too). :func:`fingerprint` is the
tuple of every raw attribute the features are computed from: equal fingerprints have equal
features, which lets the detector skip recomputing them for a sign-in it has seen before.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

from vigil.model import SignIn

NETWORK = ("ip", "net", "asn", "cc", "host")
FEATURES = ("ip", "net", "asn", "cc", "host", "res", "uaf", "ua", "ct", "key")
LABELS = {
    "ip": "IP",
    "net": "address block",
    "asn": "ASN",
    "cc": "country",
    "host": "network type",
    "res": "resource",
    "uaf": "user agent",
    "ua": "user agent version",
    "ct": "credential type",
    "key": "credential",
}
ABSENT = "-"

#: Product tokens that say little about the client (runtimes, browser engines).
_GENERIC = frozenset(
    {"mozilla", "applewebkit", "khtml", "gecko", "python", "go", "java", "node", "os", "dalvik",
     "cpython", "linux", "windows", "like"}
)
_PRODUCT = re.compile(r"([A-Za-z][\w.+-]*)/v?(\d+(?:\.\d+)?)")


@lru_cache(maxsize=4096)
def user_agent(ua: str | None) -> tuple[str, str]:
    """``(family, family/major.minor)`` of a user agent string.

    The family is the first ``name/version`` product that is not a runtime or browser engine
    (``python/3.11 ... AZURECLI/2.62.0`` → ``AZURECLI``); without one, the first product; without
    any, the text itself (lowercased, at most 40 characters).
    """
    if not ua or not ua.strip():
        return ABSENT, ABSENT
    products = _PRODUCT.findall(ua)
    if not products:
        text = ua.strip().lower()[:40]
        return text, text
    name, version = next(((n, v) for n, v in products if n.lower() not in _GENERIC), products[0])
    return name, f"{name}/{version}"


@lru_cache(maxsize=65_536)
def address_block(ip: str) -> str:
    """The /24 of an IPv4 address or the /48 of an IPv6 address (the text itself if neither)."""
    if ":" not in ip:
        head, dot, _ = ip.rpartition(".")
        return f"{head}.0/24" if dot else ip
    try:
        return str(ipaddress.IPv6Network((ip, 48), strict=False))
    except ValueError:
        return ip


def fingerprint(s: SignIn) -> tuple[object, ...]:
    """Every raw attribute :func:`features` reads (see the module docstring)."""
    loc = s.location
    return (
        s.ip_address,
        s.asn,
        None if loc is None else loc.country_or_region,
        s.is_hosting,
        s.resource_display_name,
        s.resource_id,
        s.user_agent,
        s.client_credential_type,
        s.credential_key_id,
        s.federated_credential_id,
        s.credential_thumbprint,
    )


def features(s: SignIn) -> dict[str, str | None]:
    """The feature values of one sign-in (None: the feature does not apply)."""
    ip = s.ip_address
    loc = s.location
    country = None if loc is None else loc.country_or_region
    family, version = user_agent(s.user_agent)
    key = s.credential_key_id or s.federated_credential_id or s.credential_thumbprint
    ct = s.client_credential_type
    return {
        "ip": ip,
        "net": address_block(ip) if ip else None,
        "asn": f"AS{s.asn}" if ip and s.asn is not None else None,
        "cc": country.upper() if ip and country else None,
        "host": None if not ip or s.is_hosting is None else (
            "hosting" if s.is_hosting else "non-hosting"),
        "res": s.resource_display_name or s.resource_id or None,
        "uaf": family,
        "ua": version,
        "ct": ct.value if ct is not None else ABSENT,
        "key": key.lower() if key else ABSENT,
    }
