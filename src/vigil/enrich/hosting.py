"""Hosting / cloud classification of IP addresses, from a curated list of autonomous systems.

The list is ``hosting_asns.csv`` beside this module (columns ``asn,name,comment``). ``name`` is
the AS organisation exactly as GeoLite2-ASN spells it, which is what geoip2fast's bundled data
gives: that data carries AS *names* but not AS *numbers*, so an address is recognised either by
its number (from the log's ``autonomousSystemNumber`` or a MaxMind ASN ``.mmdb``) or by its
organisation name (case-insensitive, exact). Extra ASNs and CIDR ranges (an operator's own list
of VPS ranges, say) can be added.

Verdict: True when the number, the name or a range matches; False when something is known about
the address (its ASN or organisation) and nothing matches; None when nothing is known.
Known false positives: corporate egress through cloud proxies (Zscaler, Cloudflare WARP) and
Microsoft's own services (AS8075), which are "hosting" by this definition.
"""

from __future__ import annotations

import csv
import io
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class HostingAsn:
    asn: int
    name: str
    comment: str = ""


def load_hosting_asns(text: str | None = None) -> tuple[HostingAsn, ...]:
    """Parse ``hosting_asns.csv`` (the packaged file when ``text`` is None)."""
    if text is None:
        text = resources.files("vigil.enrich").joinpath("hosting_asns.csv").read_text("utf-8")
    rows = csv.DictReader(io.StringIO(text))
    return tuple(
        HostingAsn(int(row["asn"]), row["name"].strip(), (row.get("comment") or "").strip())
        for row in rows
        if row.get("asn", "").strip()
    )


class HostingClassifier:
    """``is_hosting(asn, asn_org, ip)`` against the curated list plus extra ASNs and ranges."""

    def __init__(
        self,
        entries: Iterable[HostingAsn] | None = None,
        *,
        extra_asns: Iterable[int] = (),
        extra_cidrs: Iterable[str] = (),
    ) -> None:
        listed = tuple(entries) if entries is not None else load_hosting_asns()
        self.asns: frozenset[int] = frozenset(e.asn for e in listed) | frozenset(extra_asns)
        self.names: frozenset[str] = frozenset(e.name.casefold() for e in listed if e.name)
        self.networks: tuple[_Network, ...] = tuple(
            ipaddress.ip_network(cidr, strict=False) for cidr in extra_cidrs
        )

    def is_hosting(
        self, asn: int | None, asn_org: str | None, ip: str | None = None
    ) -> bool | None:
        if asn is not None and asn in self.asns:
            return True
        if asn_org and asn_org.casefold() in self.names:
            return True
        if ip and self.networks and self.in_ranges(ip):
            return True
        return False if asn is not None or asn_org else None

    def in_ranges(self, ip: str) -> bool:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in network for network in self.networks)
