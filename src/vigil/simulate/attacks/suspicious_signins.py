"""suspiciousSignins: a stolen client secret used by someone else.

* ``vps-abroad``: a daemon's secret used from a VPS in another country, with a scripting user agent,
  for Microsoft Graph as well as the daemon's usual resources; 3-12 sign-ins over 1-6 hours.
* ``same-provider-same-country`` (hard): a daemon in Azure West Europe; the attacker rents a VM in
  the same region, so ASN, country and hosting type match the baseline. Only the address block and
  the user agent are new; the resources are the daemon's usual ones; 2-6 sign-ins over 30-120 min.
"""

from __future__ import annotations

import ipaddress

from vigil.simulate.attacks.common import abroad, current_key, forge, minutes, secret_daemon, spread
from vigil.simulate.catalog import ATTACKER_UAS
from vigil.simulate.rand import HOUR, Rand
from vigil.simulate.tenant import Site, resource
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


def _in(ip: str, cidr: str) -> bool:
    return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr)


VARIANTS = {"vps-abroad": vps_abroad, "same-provider-same-country": same_provider_same_country}
