"""An in-memory index of indicators for matching activity as it is ingested.

IP networks are grouped by (IP version, prefix length) into dicts keyed by the network's integer
prefix, so a look-up costs one dict probe per distinct prefix length in the feed (at most 33 for
IPv4, 129 for IPv6) whatever the number of indicators. ASNs and user agents are plain dicts.
Every look-up takes the activity time and returns only indicators in force then (``ip`` also takes
``None``: any indicator whatever its validity, retro-matching's pre-filter).
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

from vigil.intel.indicator import Indicator, IndicatorKind

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=65536)
def _address(text: str) -> IPAddress | None:
    """The address, an IPv4-mapped IPv6 one (``::ffff:192.0.2.1``, as dual-stack front ends log
    IPv4 clients) as its IPv4 address."""
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return mapped or ip


class IndicatorSet:
    """Implements ``vigil.detections.investigations_threat_intelligence.IndicatorLookup``."""

    def __init__(self, indicators: Iterable[Indicator] = ()) -> None:
        self._nets: dict[tuple[int, int], dict[int, list[Indicator]]] = defaultdict(dict)
        self._asns: dict[int, list[Indicator]] = defaultdict(list)
        self._uas: dict[str, list[Indicator]] = defaultdict(list)
        self._count = 0
        self._lengths: dict[int, list[int]] | None = None
        for ind in indicators:
            self.add(ind)

    def add(self, ind: Indicator) -> None:
        self._count += 1
        if ind.kind is IndicatorKind.ip:
            net = ipaddress.ip_network(ind.value, strict=False)
            key = int(net.network_address) >> (net.max_prefixlen - net.prefixlen)
            self._nets[(net.version, net.prefixlen)].setdefault(key, []).append(ind)
            self._lengths = None
        elif ind.kind is IndicatorKind.asn:
            self._asns[int(ind.value)].append(ind)
        else:
            self._uas[ind.value.casefold()].append(ind)

    def __len__(self) -> int:
        return self._count

    @property
    def empty(self) -> bool:
        return self._count == 0

    def ip(self, address: str | None, at: datetime | None) -> list[Indicator]:
        ip = _address(address) if address else None
        if ip is None:
            return []
        if self._lengths is None:
            self._lengths = {v: sorted(p for ver, p in self._nets if ver == v) for v in (4, 6)}
        value, width = int(ip), ip.max_prefixlen
        found: list[Indicator] = []
        for plen in self._lengths[ip.version]:
            hits = self._nets[(ip.version, plen)].get(value >> (width - plen))
            if hits:
                found.extend(i for i in hits if at is None or i.active_at(at))
        return found

    def asn(self, number: int | None, at: datetime) -> list[Indicator]:
        if number is None:
            return []
        return [i for i in self._asns.get(number, ()) if i.active_at(at)]

    def user_agent(self, user_agent: str | None, at: datetime) -> list[Indicator]:
        if not user_agent:
            return []
        return [i for i in self._uas.get(user_agent.strip().casefold(), ()) if i.active_at(at)]
