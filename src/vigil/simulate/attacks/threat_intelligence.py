"""investigationsThreatIntelligence: known-bad infrastructure and known attack patterns.

* ``indicator-ip``: a stolen secret used from a Tor exit inside a CIDR indicator and from a VPS
  address that is an indicator of its own, both valid at the time (the bundle's ``valid_from`` is
  10-60 days earlier). The same sign-ins are acceptable as suspiciousSignins (not required).
* ``password-spray``: one address (not in the feed) fails client-secret authentication (7000215)
  against up to 30 applications within an hour, then succeeds against two whose secrets it had.
  Required labels on the two; acceptable (not required) on the targets where it only failed.
"""

from __future__ import annotations

from vigil.simulate.attacks.common import active_secret_app, current_key, forge, minutes, spread
from vigil.simulate.catalog import ATTACKER_UAS
from vigil.simulate.events import SignInEvent
from vigil.simulate.networks import net
from vigil.simulate.rand import DAY, HOUR, Rand
from vigil.simulate.stix import indicator
from vigil.simulate.tenant import Principal, resource
from vigil.simulate.world import World

SCENARIO = "threat-intel"
TYPE = "investigationsThreatIntelligence"


def indicator_ip(world: World, rng: Rand) -> None:
    (p,) = world.claim(rng, f"{SCENARIO}/indicator-ip", active_secret_app)
    t0 = world.attack_time(rng)
    tor, vps = net("tor-de"), net(rng.pick(("medialand-ru", "stark-bg")))
    tor_ip, vps_ip = tor.ip(rng), vps.ip(rng)
    ind_cidr = indicator(rng, "ipv4-cidr", tor.cidrs[0], t0 - rng.randrange(10, 60) * DAY,
                         t0 + rng.randrange(30, 180) * DAY, "Tor exit nodes (torservers.net)")
    ind_ip = indicator(rng, "ipv4", vps_ip, t0 - rng.randrange(10, 60) * DAY,
                       t0 + rng.randrange(30, 180) * DAY,
                       "Infrastructure used to abuse stolen app credentials")
    world.indicators.extend([ind_cidr, ind_ip])
    ua = rng.pick(ATTACKER_UAS)
    seg = p.segment_at(t0)
    assert seg is not None
    graph = resource("graph")
    events = [forge(rng, p, t, vps_ip, vps, graph, ua) for t in spread(rng, t0, 2 + rng.randrange(4),
                                                                       2 * HOUR)]
    events += [forge(rng, p, t, tor_ip, tor, rng.pick(seg.resources), ua)
               for t in spread(rng, t0 + minutes(rng, 20, 90), 1 + rng.randrange(3), HOUR)]
    world.add(events)
    key = (current_key(p, t0),)
    world.label(TYPE, p, SCENARIO, "indicator-ip", events, key_ids=key,
                extra={"indicators": (ind_ip.id, ind_cidr.id)},
                description=f"sign-ins from indicator {vps_ip} and from {tor_ip} inside "
                            f"indicator {tor.cidrs[0]}")
    world.label("suspiciousSignins", p, SCENARIO, "indicator-ip", events, key_ids=key,
                required=False, description="the same sign-ins are also unfamiliar")


def password_spray(world: World, rng: Rand) -> None:
    winners = world.claim(rng, f"{SCENARIO}/password-spray", active_secret_app, 2)
    others = world.candidates(lambda p: p.sp_type == "Application" and p.archetype != "firstparty"
                              and p.segments != [])
    others = rng.sample(others, min(28, len(others)))
    network = net(rng.pick(("stark-bg", "medialand-ru", "neterra-ro")))
    ip, ua = network.ip(rng), "python-requests/2.31.0"
    t = world.attack_time(rng)
    graph = resource("graph")
    targets: list[Principal] = [*others, *winners]
    rng.shuffle(targets)
    per_target: dict[str, list[SignInEvent]] = {}
    for p in targets:
        for _ in range(1 + rng.randrange(2)):
            t += rng.randrange(15_000, 110_000)
            e = forge(rng, p, t, ip, network, graph, ua, cred_type="clientSecret", error=7000215)
            per_target.setdefault(p.id, []).append(e)
    for p in winners:
        t += rng.randrange(30_000, 300_000)
        hits = [forge(rng, p, x, ip, network, graph, ua)
                for x in spread(rng, t, 2 + rng.randrange(3), HOUR)]
        per_target[p.id].extend(hits)
        key = (current_key(p, t),)
        world.label(TYPE, p, SCENARIO, "password-spray", per_target[p.id], key_ids=key,
                    description=f"spray from {ip} ({network.provider}, {network.country}) "
                                f"failed 7000215 against {len(targets)} apps, then succeeded here")
        world.label("suspiciousSignins", p, SCENARIO, "password-spray", hits, key_ids=key,
                    required=False, description="the successful spray sign-ins")
    for p in others:
        world.label(TYPE, p, SCENARIO, "password-spray", per_target[p.id], required=False,
                    description=f"spray target: failed 7000215 from {ip}")
    for events in per_target.values():
        world.add(events)


def indicator_decoys(world: World) -> None:
    """A revoked and an expired indicator, each naming an address a benign daemon signs in from.

    Always written (after the benign changes); neither should produce a detection.
    """
    rng = world.rng("decoys", "intel")
    start, end = world.tenant.start, world.tenant.end
    pool = [p for p in world.tenant.principals if p.archetype == "daemon"
            and (p.claimed_by is None or p.claimed_by.startswith("benign:"))]
    for kind, (vf, vu, revoked) in (
        ("indicatorRevoked", (start - 30 * DAY, end + 120 * DAY, True)),
        ("indicatorExpired", (start - 200 * DAY, start - 10 * DAY, False)),
    ):
        if not pool:
            return
        p = pool.pop(rng.randrange(len(pool)))
        p.claimed_by = f"decoy:{kind}"
        ip = p.segments[0].site.ips[0]
        ind = indicator(rng, "ipv4", ip, vf, vu, "Scanner observed in honeypot", revoked=revoked)
        world.indicators.append(ind)
        state = "revoked" if revoked else "expired before the timeline"
        world.decoy(kind, start, f"indicator {ip} is {state}; {p.display_name} uses that address",
                    sp=p, records={"indicators": (ind.id,)})


VARIANTS = {"indicator-ip": indicator_ip, "password-spray": password_spray}
