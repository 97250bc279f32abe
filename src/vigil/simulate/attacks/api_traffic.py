"""suspiciousAPITraffic: reconnaissance and exfiltration through Microsoft Graph.

* ``enumeration-403-burst``: a sync or reporting app's secret used from a VPS with a recon tool's
  user agent; breadth-first enumeration of users, groups, devices, service principals, applications,
  roles and policies with ``$top=999`` paging (``$skiptoken``), per-user and per-group fan-out, and
  bursts of 403 on endpoints it has no permission for. The token sign-ins are acceptable as
  suspiciousSignins.
* ``exfil-spike``: a mailbox-archiving app, from its usual host and user agent (the host is
  compromised), downloads whole mailboxes: hundreds of requests with multi-megabyte responses.
"""

from __future__ import annotations

from vigil.simulate.attacks.common import abroad, forge, graph_profile
from vigil.simulate.catalog import RECON_UAS
from vigil.simulate.events import GraphCall, SignInEvent
from vigil.simulate.graphcalls import call
from vigil.simulate.rand import HOUR, MINUTE, Rand
from vigil.simulate.tenant import resource
from vigil.simulate.world import World

SCENARIO = "graph-recon"
TYPE = "suspiciousAPITraffic"
SKIP = "$skiptoken=RFNwdAIAAQAAACpVc2VyXzE"


def _pages(base: str, total: int, size: int) -> list[tuple[str, int]]:
    pages = max(1, -(-total // 999))
    out = []
    for i in range(pages):
        n = min(999, total - i * 999)
        out.append((base + ("" if i == 0 else f"&{SKIP}{i:03d}"), max(n, 1) * size))
    return out


def enumeration(world: World, rng: Rand) -> None:
    (p,) = world.claim(rng, f"{SCENARIO}/enumeration-403-burst",
                       graph_profile("sync", "reporting"))
    t = world.attack_time(rng, latest_margin=2 * HOUR)
    seg = p.segment_at(t)
    assert seg is not None
    network = abroad(rng, seg.site.network.country)
    ip, ua = network.ip(rng), rng.pick(RECON_UAS)
    tokens = [forge(rng, p, t, ip, network, resource("graph"), ua)]
    roles = set(p.role_values())
    plan: list[tuple[str, str, int, int]] = [("GET", "/v1.0/organization", 200, 2_400),
                                             ("GET", "/v1.0/domains", 200, 1_800)]
    listing = [("/v1.0/users?$top=999&$select=id,displayName,userPrincipalName,accountEnabled",
                1_800, 420), ("/v1.0/groups?$top=999", 320, 900),
               ("/v1.0/devices?$top=999", 1_400, 700),
               ("/v1.0/servicePrincipals?$top=999", len(world.tenant.by_id) + 380, 3_200),
               ("/v1.0/applications?$top=999", len(world.tenant.principals), 3_800)]
    for base, total, size in listing:
        plan += [("GET", uri, 200, n) for uri, n in _pages(base, total, size)]
    plan.append(("GET", "/v1.0/directoryRoles?$expand=members", 200, 26_000))
    for path in ("/v1.0/roleManagement/directory/roleAssignments?$expand=principal",
                 "/v1.0/identity/conditionalAccess/policies", "/beta/policies/authorizationPolicy"):
        plan.append(("GET", path, 403, 320))
    plan.append(("GET", "/v1.0/auditLogs/directoryAudits?$top=999",
                 200 if "AuditLog.Read.All" in roles else 403, 900_000))
    users = rng.sample(world.tenant.user_ids, min(len(world.tenant.user_ids), 50))
    for u in users * (2 + rng.randrange(3)):
        plan.append(("GET", f"/v1.0/users/{u}/memberOf?$select=id,displayName", 200,
                     600 + rng.randrange(4_000)))
    for g in world.tenant.group_ids * 3:
        plan.append(("GET", f"/v1.0/groups/{g}/members?$top=999", 200, 2_000 + rng.randrange(40_000)))
    for u in users:
        plan.append(("GET", f"/v1.0/users/{u}/authentication/methods", 403, 310))
    calls: list[GraphCall] = []
    now = t + 4_000
    for i, (method, path, status, size) in enumerate(plan):
        if now - tokens[-1].t > 55 * MINUTE:
            tokens.append(forge(rng, p, now, ip, network, resource("graph"), ua))
        calls.append(call(rng, tokens[-1], now, method, path, status, size, ua))
        now += rng.randrange(150, 2_500) if i % 40 else rng.randrange(20_000, 90_000)
    world.add(tokens)
    world.add(calls)
    forbidden = sum(1 for c in calls if c.status == 403)
    world.label(TYPE, p, SCENARIO, "enumeration-403-burst", [*tokens, *calls],
                key_ids=(seg.cred.key_id,) if seg.cred else (),
                description=f"{len(calls)} Graph requests with {ua} from {ip}, {forbidden} of "
                            f"them 403, directory-wide listing with paging")
    world.label("suspiciousSignins", p, SCENARIO, "enumeration-403-burst", list(tokens),
                required=False, description="token requests from the recon host")


def exfil_spike(world: World, rng: Rand) -> None:
    (p,) = world.claim(rng, f"{SCENARIO}/exfil-spike", graph_profile("mail"))
    t = world.attack_time(rng, latest_margin=3 * HOUR)
    seg = p.segment_at(t)
    assert seg is not None
    ip = seg.site.ips[0]
    token: SignInEvent = forge(rng, p, t, ip, seg.site.network, resource("graph"), seg.user_agent)
    tokens = [token]
    calls: list[GraphCall] = []
    now = t + 3_000
    for _ in range(150 + rng.randrange(250)):
        if now - tokens[-1].t > 55 * MINUTE:
            tokens.append(forge(rng, p, now, ip, seg.site.network, resource("graph"),
                                seg.user_agent))
        user = rng.pick(world.tenant.user_ids)
        if rng.random() < 0.7:
            path = (f"/v1.0/users/{user}/messages?$top=1000&$select=subject,body,from,"
                    f"toRecipients,hasAttachments")
            size = rng.randrange(2_000_000, 30_000_000)
        else:
            msg = rng.token("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 22)
            path, size = f"/v1.0/users/{user}/messages/{msg}/attachments", rng.randrange(1_000_000,
                                                                                       20_000_000)
        calls.append(call(rng, tokens[-1], now, "GET", path, 200, size))
        now += rng.randrange(3_000, 40_000)
    world.add(tokens)
    world.add(calls)
    total = sum(c.size for c in calls)
    world.label(TYPE, p, SCENARIO, "exfil-spike", calls,
                description=f"{len(calls)} mailbox downloads, {total // 1_000_000} MB in "
                            f"{(calls[-1].t - calls[0].t) // MINUTE} minutes from the usual host")


VARIANTS = {"enumeration-403-burst": enumeration, "exfil-spike": exfil_spike}
