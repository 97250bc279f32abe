"""Attack sign-ins that a threat-intelligence indicator happens to name get an acceptable label.

Scenarios pick attacker networks from one shared pool (``VPS + HOSTILE``), and the threat-intel
scenario puts some of those networks in the feed (the Tor exit range, for one). A leaked secret
used from that Tor range is then, rightly, an ``investigationsThreatIntelligence`` detection
too, which no scenario labelled: it counted as a false positive (seed 4). After every scenario
and the noise indicators, :func:`label_indicator_overlaps` adds one label per victim for such
records (sign-ins and app-only Graph requests that another scenario's label names and no
threat-intelligence label does): ``required: false`` (acceptable, not expected), the evidence
the overlapping records.

A record matches an indicator as the detector matches it: not revoked, ``valid_from <= t`` and
``t < valid_until`` when that is set, and the address equal to an ``ipv4`` / ``ipv6`` value, inside
an ``ipv4-cidr`` one, or the user agent equal to a ``user-agent`` value (ignoring case).
"""

from __future__ import annotations

import ipaddress

from vigil.simulate.events import GraphCall, SignInEvent
from vigil.simulate.stix import Indicator
from vigil.simulate.world import World

TYPE = "investigationsThreatIntelligence"


def matches(ind: Indicator, s: SignInEvent | GraphCall) -> bool:
    if (
        ind.revoked
        or s.t < ind.valid_from
        or (ind.valid_until is not None and s.t >= ind.valid_until)
    ):
        return False
    if ind.kind == "user-agent":
        return (s.user_agent or "").strip().casefold() == ind.value.casefold()
    if not s.ip:
        return False
    if ind.kind == "ipv4-cidr":
        return ipaddress.ip_address(s.ip) in ipaddress.ip_network(ind.value, strict=False)
    return ipaddress.ip_address(s.ip) == ipaddress.ip_address(ind.value)


_KINDS = ("signIns", "managedIdentitySignIns", "graphActivities")


def label_indicator_overlaps(world: World) -> int:
    """Label labelled attack records that some indicator names (module doc); returns how many
    labels were added."""
    covered = {
        rid
        for lb in world.labels.labels
        if lb.risk_event_type == TYPE
        for kind in _KINDS
        for rid in lb.records.get(kind, ())
    }
    attack_ids = {
        rid
        for lb in world.labels.labels
        if lb.risk_event_type != TYPE
        for kind in _KINDS
        for rid in lb.records.get(kind, ())
    } - covered
    hits: dict[str, list[tuple[SignInEvent | GraphCall, Indicator]]] = {}
    records: list[SignInEvent | GraphCall] = [*world.activity.signins, *world.activity.graph_calls]
    for s in records:
        if s.id not in attack_ids:
            continue
        found = next((ind for ind in world.indicators if matches(ind, s)), None)
        if found is not None:
            hits.setdefault(s.sp.id, []).append((s, found))
    for pairs in hits.values():
        pairs.sort(key=lambda pair: (pair[0].t, pair[0].id))
        first, ind = pairs[0]
        world.label(
            TYPE,
            first.sp,
            "indicator-overlap",
            "attack-infrastructure-in-feed",
            [s for s, _ in pairs],
            required=False,
            description=f"{len(pairs)} attack record(s) from {first.ip} "
            f"({first.user_agent}), named by indicator {ind.value} "
            f"({ind.name})",
        )
    return len(hits)
