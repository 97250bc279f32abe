"""Benign traffic: each principal's segments turned into sign-ins and Graph requests.

Contract: ``generate_baseline(tenant, activity, seed)`` appends, for every principal with
segments, its sign-ins (one per scheduled time), failures from the credential's state (an expired
secret gives 7000222, a removed one 7000215) plus rare random failures (7000215 for secrets, 700027
for certificates), and the Graph requests its profile makes with each successful Graph token.
"""

from __future__ import annotations

from vigil.simulate.events import Activity, SignInEvent
from vigil.simulate.graphcalls import routine_calls
from vigil.simulate.rand import Rand
from vigil.simulate.tenant import Principal, Segment, Tenant

RANDOM_FAILURE = {"clientSecret": (7000215, 0.0008), "certificate": (700027, 0.0015)}


def credential_error(seg: Segment, t: int, rng: Rand) -> int:
    """The STS error of an attempt at ``t`` with the segment's credential (0: success)."""
    if seg.forced_error:
        return seg.forced_error
    cred = seg.cred
    if cred is None or cred.created_by == "vendor":
        return 0
    if cred.removed is not None and t >= cred.removed:
        return 7000215 if cred.kind == "Password" else 700027
    if t >= cred.end:
        return 7000222 if cred.kind == "Password" else 700027
    failure = RANDOM_FAILURE.get(seg.cred_type)
    if failure and rng.random() < failure[1]:
        return failure[0]
    return 0


def signins_for(p: Principal, seg: Segment, times: list[int], rng: Rand) -> list[SignInEvent]:
    """Sign-ins of ``p`` at ``times`` as ``seg`` describes them."""
    ips = seg.site.ips
    resources = seg.resources
    out = []
    for t in times:
        out.append(
            SignInEvent(
                t=t,
                sp=p,
                ip=ips[0] if len(ips) == 1 else ips[rng.randrange(len(ips))],
                network=seg.site.network,
                resource=resources[0] if len(resources) == 1 else rng.pick(resources),
                cred=seg.cred,
                cred_type=seg.cred_type,
                error=credential_error(seg, t, rng),
                user_agent=seg.user_agent,
                rid=rng.guid_int(),
                corr=rng.guid_int(),
            )
        )
    return out


def generate_baseline(tenant: Tenant, activity: Activity, seed: int) -> None:
    for p in tenant.principals:
        if not p.segments or p.schedule is None:
            continue
        rng = Rand.derive(seed, "baseline", p.index)
        for seg in p.segments:
            events = signins_for(p, seg, p.schedule.times(seg.start, seg.end, rng), rng)
            activity.signins.extend(events)
            if p.graph_profile is None:
                continue
            for e in events:
                if e.error == 0 and e.resource.key == "graph":
                    activity.graph_calls.extend(routine_calls(rng, tenant, e, p.graph_profile))
