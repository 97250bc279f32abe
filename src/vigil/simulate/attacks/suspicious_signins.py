"""suspiciousSignins: a stolen client secret used by someone else.

* ``vps-abroad``: a daemon's secret used from a VPS in another country, with a scripting user agent,
  for Microsoft Graph as well as the daemon's usual resources; 3-12 sign-ins over 1-6 hours.
* ``same-provider-same-country`` (hard): a daemon in Azure West Europe; the attacker rents a VM in
  the same region, so ASN, country and hosting type match the baseline. Only the address block and
  the user agent are new; the resources are the daemon's usual ones; 2-6 sign-ins over 30-120 min.
* ``rarely-used-app`` (cold start): an ``occasional`` app (one sign-in every 2-4 days from one
  cloud address with an Azure SDK) has never reached 30 sign-ins; at least 27 days into the
  timeline (a profile spanning 21 days and 5 sign-ins), its secret is used from a VPS in another
  country with a scripting user agent, for its usual resource: 2-6 sign-ins over 10-60 minutes.
  Timelines too short for that (under 29 days) get no such label.

Decoys (``sparseProfileVariation``, always written when the timeline allows): another occasional
app's ordinary changes, each followed by a run by hand a few minutes later (the decoy's record):
an SDK version bump, a new address in the same network, a new resource; none is audited.
"""

from __future__ import annotations

import ipaddress
import re

from vigil.simulate.attacks.common import abroad, current_key, forge, minutes, secret_daemon, spread
from vigil.simulate.baseline import signins_for
from vigil.simulate.catalog import ATTACKER_UAS
from vigil.simulate.rand import DAY, HOUR, MINUTE, Rand
from vigil.simulate.tenant import Principal, Site, resource
from vigil.simulate.world import World

SCENARIO = "stolen-secret"
TYPE = "suspiciousSignins"


def vps_abroad(world: World, rng: Rand) -> None:
    (p,) = world.claim(rng, f"{SCENARIO}/vps-abroad", secret_daemon)
    t0 = world.attack_time(rng)
    seg = p.segment_at(t0)
    assert seg is not None
    network = abroad(rng, seg.site.network.country)
    ips = network.ips(rng, 1 + rng.randrange(2))
    ua = rng.pick(ATTACKER_UAS)
    targets = (resource("graph"), *seg.resources)
    events = [forge(rng, p, t, rng.pick(ips), network, rng.pick(targets), ua)
              for t in spread(rng, t0, 3 + rng.randrange(10), rng.randrange(HOUR, 6 * HOUR))]
    world.add(events)
    world.label(TYPE, p, SCENARIO, "vps-abroad", events, key_ids=(current_key(p, t0),),
                description=f"secret used from {network.provider} in {network.country} "
                            f"(AS{network.asn}); the daemon runs in {seg.site.network.country}")


def same_provider_same_country(world: World, rng: Rand) -> None:
    (p,) = world.claim(rng, f"{SCENARIO}/same-provider-same-country",
                       lambda p: secret_daemon(p)
                       and p.segments[0].site.network.key == "azure-westeurope")
    t0 = world.attack_time(rng)
    seg = p.segment_at(t0)
    assert seg is not None
    network = seg.site.network
    used = {i for i, c in enumerate(network.cidrs) if any(_in(ip, c) for ip in seg.site.ips)}
    free = [i for i in range(len(network.cidrs)) if i not in used] or [0]
    site = Site(network, network.ips(rng, 1, cidr_index=rng.pick(free)))
    ua = "python-requests/2.32.3" if seg.user_agent != "python-requests/2.32.3" else "curl/8.9.1"
    events = [forge(rng, p, t, site.ips[0], network, rng.pick(seg.resources), ua)
              for t in spread(rng, t0, 2 + rng.randrange(5), minutes(rng, 30, 120))]
    world.add(events)
    world.label(TYPE, p, SCENARIO, "same-provider-same-country", events,
                key_ids=(current_key(p, t0),),
                description=f"secret used from a new {network.provider} address in "
                            f"{network.country} (same ASN and country as the daemon); new user "
                            f"agent {ua}")


#: A sparse profile is scored from 21 days and 5 sign-ins; an occasional app's first sign-in
#: comes at most 4.4 days in and the next ones at most 4.4 days apart: 27 days hold 6 of them.
SPARSE_FROM = 27 * DAY
SCRIPTING_UAS = ("python-requests/2.32.3", "curl/8.9.1")


def _sparse_window(world: World) -> tuple[int, int] | None:
    """Where a sparse profile is scored within the attack window (None: the timeline is too
    short)."""
    lo, hi = world.cfg.attack_window
    lo = max(lo, world.tenant.start + SPARSE_FROM)
    return (lo, hi) if hi - lo >= DAY else None


def occasional(p: Principal) -> bool:
    return p.archetype == "occasional" and p.uses_secret


def rarely_used_app(world: World, rng: Rand) -> None:
    window = _sparse_window(world)
    if window is None:
        return
    (p,) = world.claim(rng, f"{SCENARIO}/rarely-used-app", occasional)
    lo, hi = window
    t0 = lo + rng.randrange(hi - lo)
    t0 -= t0 % 1000
    seg = p.segment_at(t0)
    assert seg is not None
    network = abroad(rng, seg.site.network.country)
    ip, ua = network.ip(rng), rng.pick(SCRIPTING_UAS)
    events = [forge(rng, p, t, ip, network, rng.pick(seg.resources), ua)
              for t in spread(rng, t0, 2 + rng.randrange(5), minutes(rng, 10, 60))]
    world.add(events)
    world.label(TYPE, p, SCENARIO, "rarely-used-app", events, key_ids=(current_key(p, t0),),
                description=f"secret of an app that signs in every few days from "
                            f"{seg.site.network.provider} in {seg.site.network.country} used "
                            f"from {network.provider} in {network.country} (AS{network.asn}) "
                            f"with {ua}")


def _bump(ua: str) -> str:
    """The same user agent one minor version later (``azsdk-net-Identity/1.13.1`` → ``1.14.0``)."""
    return re.sub(r"/(\d+)\.(\d+)\.\d+", lambda m: f"/{m[1]}.{int(m[2]) + 1}.0", ua, count=1)


def decoys(world: World) -> None:
    """An occasional app's unaudited, ordinary changes, each with a run by hand after it."""
    window = _sparse_window(world)
    rng = world.rng("decoys", "sparse-variation")
    if window is None:
        return
    found = world.claim(rng, "decoy:sparse-variation", occasional, optional=True)
    if not found:
        return
    (p,) = found
    lo, hi = window
    step = (hi - lo) // 3
    for k, kind in enumerate(("sdk", "address", "resource")):
        t = lo + k * step + rng.randrange(step // 2)
        t -= t % 1000
        seg = p.segment_at(t)
        assert seg is not None
        if kind == "sdk":
            ua = _bump(seg.user_agent or "")
            new = p.split(t, user_agent=ua)
            what = f"SDK upgraded: {ua.split(' ')[0]}"
        elif kind == "address":
            network = seg.site.network
            ip = next(a for a in (network.ip(rng) for _ in range(64)) if a not in seg.site.ips)
            new = p.split(t, site=Site(network, (ip,)))
            what = f"redeployed: new address {ip}, same {network.provider} network ({network.country})"
        else:
            used = {r.key for r in seg.resources}
            extra = rng.pick([k for k in ("storage", "keyvault", "sql", "servicebus") if k not in used])
            new = p.split(t, resources=(*seg.resources, resource(extra)))
            what = f"starts using {resource(extra).display_name} as well"
        (run,) = signins_for(p, new, [t + rng.randrange(2 * MINUTE, 20 * MINUTE)], rng)
        run.error = 0
        run.resource = new.resources[-1]
        world.add([run])
        world.decoy("sparseProfileVariation", run.t, f"{what}; run by hand (unaudited)", sp=p,
                    records={"signIns": (run.id,)})


def _in(ip: str, cidr: str) -> bool:
    return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr)


VARIANTS = {"vps-abroad": vps_abroad, "same-provider-same-country": same_provider_same_country,
            "rarely-used-app": rarely_used_app}
