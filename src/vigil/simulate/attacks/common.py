"""Helpers the attack scenarios share: victim tests, forged sign-ins, attacker infrastructure."""

from __future__ import annotations

from collections.abc import Callable

from vigil.simulate.catalog import ResourceApp
from vigil.simulate.events import SignInEvent
from vigil.simulate.networks import HOSTILE, VPS, Network, net
from vigil.simulate.rand import MINUTE, Rand
from vigil.simulate.tenant import Credential, Principal
from vigil.simulate.timeline import Interval

#: Graph integration profiles that specific scenarios need; generic victim tests leave them alone.
RESERVED_PROFILES = ("admin", "mail", "sync", "reporting")


def privileged(p: Principal) -> bool:
    return p.archetype == "daemon" and "Directory.ReadWrite.All" in p.role_values()


def reserved(p: Principal) -> bool:
    return privileged(p) or (p.archetype == "graph" and p.graph_profile in RESERVED_PROFILES)


def any_secret_app(p: Principal) -> bool:
    return p.is_home_app and p.uses_secret and not reserved(p)


def active_secret_app(p: Principal) -> bool:
    """A home app that signs in with a client secret at least every two hours (a baseline)."""
    return (any_secret_app(p) and isinstance(p.schedule, Interval)
            and p.schedule.minutes <= 120 and p.archetype in ("daemon", "graph"))


def secret_daemon(p: Principal) -> bool:
    return active_secret_app(p) and p.archetype == "daemon"


def graph_profile(*profiles: str) -> Callable[[Principal], bool]:
    """A victim test: a Graph integration with one of ``profiles``."""
    return lambda p: p.archetype == "graph" and p.graph_profile in profiles


def abroad(rng: Rand, country: str, pool: tuple[str, ...] = VPS + HOSTILE) -> Network:
    """An attacker network outside ``country``."""
    return net(rng.pick([k for k in pool if net(k).country != country]))


def spread(rng: Rand, start: int, n: int, span: int) -> list[int]:
    """``n`` sorted times from ``start`` over about ``span`` ms (the first is ``start``)."""
    if n <= 1:
        return [start]
    others = sorted(start + 1_000 + rng.randrange(span) for _ in range(n - 1))
    return [start, *others]


def forge(rng: Rand, p: Principal, t: int, ip: str, network: Network, resource: ResourceApp,
          ua: str | None, *, cred: Credential | None = None, cred_type: str | None = None,
          error: int = 0) -> SignInEvent:
    """A sign-in of ``p`` by someone else. Without ``cred`` it uses ``p``'s credential at ``t``."""
    seg = p.segment_at(t)
    if cred is None and seg is not None and error in (0, 7000222):
        cred = seg.cred
    if cred_type is None:
        cred_type = seg.cred_type if seg is not None else "clientSecret"
    return SignInEvent(t=t, sp=p, ip=ip, network=network, resource=resource, cred=cred,
                       cred_type=cred_type, error=error, user_agent=ua, rid=rng.guid_int(),
                       corr=rng.guid_int())


def current_key(p: Principal, t: int) -> str:
    seg = p.segment_at(t)
    assert seg is not None and seg.cred is not None, p.display_name
    return seg.cred.key_id


def minutes(rng: Rand, lo: int, hi: int) -> int:
    return rng.randrange(lo * MINUTE, hi * MINUTE)
