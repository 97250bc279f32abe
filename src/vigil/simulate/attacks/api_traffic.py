"""suspiciousAPITraffic: reconnaissance and exfiltration through Microsoft Graph.

* ``enumeration-403-burst``: a sync or reporting app's secret used from a VPS with a recon tool's
  user agent; breadth-first enumeration of users, groups, devices, service principals, applications,
  roles and policies with ``$top=999`` paging (``$skiptoken``), per-user and per-group fan-out, and
  bursts of 403 on endpoints it has no permission for. The token sign-ins are acceptable as
  suspiciousSignins.
* ``exfil-spike``: a mailbox-archiving app, from its usual host and user agent (the host is
  compromised), downloads whole mailboxes: hundreds of requests with multi-megabyte responses.
* ``new-app-enumeration`` (cold start): an admin registers a reporting app
  (:mod:`vigil.simulate.newapps`); 8-60 hours later, while it is still learning, its secret is
  used from a VPS with a scripting user agent to list 7-9 directory collections in under half an
  hour, 100 a page (``$skiptoken``): users, groups, service principals, applications, one to
  three of devices, domains, organization, administrative units and subscribed SKUs, and the
  privileged ``directoryRoles`` and ``oauth2PermissionGrants``; role assignments, conditional
  access and 12-25 users' authentication methods are refused (403). The token sign-ins are acceptable as
  suspiciousSignins.
* ``slow-recon``: a Graph integration's host is compromised (its usual address and user agent);
  over 5-11 hours the intruder lists one directory collection every 61-80 minutes (users, groups,
  devices, service principals, applications, then some of domains, administrative units, contacts
  and organization; the app itself lists at most one of them, or an admin app two, and gets
  one more of the others), a page or two each: no hour holds
  more than one new collection, so only the span shows it.
"""

from __future__ import annotations

from vigil.simulate.attacks.common import abroad, forge, graph_profile
from vigil.simulate.catalog import NEW_APPS, RECON_UAS
from vigil.simulate.events import GraphCall, SignInEvent
from vigil.simulate.graphcalls import call, pages
from vigil.simulate.newapps import register
from vigil.simulate.rand import DAY, HOUR, MINUTE, Rand
from vigil.simulate.tenant import resource
from vigil.simulate.world import World

SCENARIO = "graph-recon"
TYPE = "suspiciousAPITraffic"


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
        plan += [("GET", uri, 200, n) for uri, n in pages(base, total, size)]
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


SCRIPTING_UAS = ("python-requests/2.32.3",
                 "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.22631; en-US) PowerShell/7.4.3")


def new_app_enumeration(world: World, rng: Rand) -> None:
    t_reg = world.attack_time(rng, latest_margin=2 * DAY)
    admin = rng.pick(world.tenant.admins)
    p, _ = register(world, rng, 100_003, NEW_APPS[0], "reporting", t_reg, admin,
                    f"{SCENARIO}/new-app-enumeration")
    t = min(t_reg + rng.randrange(8 * HOUR, 60 * HOUR), world.tenant.end - 2 * HOUR)
    t = t - t % HOUR + rng.randrange(2 * MINUTE, 30 * MINUTE)
    t -= t % 1000
    network = abroad(rng, p.segments[0].site.network.country)
    ip, ua = network.ip(rng), rng.pick(SCRIPTING_UAS)
    token = forge(rng, p, t, ip, network, resource("graph"), ua)
    n_sps = len(world.tenant.by_id) + 380
    listing = [("/v1.0/users?$top=100&$select=id,displayName,userPrincipalName", 1_800, 420),
               ("/v1.0/groups?$top=100", 320, 900),
               ("/v1.0/servicePrincipals?$top=100", n_sps, 3_200),
               ("/v1.0/applications?$top=100", len(world.tenant.principals), 3_800)]
    listing += rng.sample([("/v1.0/devices?$top=100", 1_400, 700), ("/v1.0/domains", 4, 600),
                           ("/v1.0/organization", 1, 2_400),
                           ("/v1.0/administrativeUnits?$top=100", 12, 800),
                           ("/v1.0/subscribedSkus", 9, 1_300)], 1 + rng.randrange(3))
    plan: list[tuple[str, int, int]] = []
    for base, total, size in listing:
        plan += [(uri, 200, n) for uri, n in pages(base, total, size, top=100)]
    plan += [("/v1.0/directoryRoles?$expand=members", 200, 26_000),
             ("/v1.0/oauth2PermissionGrants?$top=100", 200, 48_000),
             ("/v1.0/roleManagement/directory/roleAssignments?$expand=principal", 403, 320),
             ("/v1.0/identity/conditionalAccess/policies", 403, 320)]
    for u in rng.sample(world.tenant.user_ids, 12 + rng.randrange(14)):
        plan.append((f"/v1.0/users/{u}/authentication/methods", 403, 310))
    calls: list[GraphCall] = []
    now = t + rng.randrange(2_000, 8_000)
    for path, status, size in plan:
        calls.append(call(rng, token, now, "GET", path, status, size))
        now += rng.randrange(300, 6_000)
    world.add([token])
    world.add(calls)
    forbidden = sum(1 for c in calls if c.status == 403)
    listed = len(listing) + 2  # and two refused
    world.label(TYPE, p, SCENARIO, "new-app-enumeration", [token, *calls],
                key_ids=(p.credentials[0].key_id,),
                description=f"app registered {(t - t_reg) / HOUR:.0f} h before (still learning): "
                            f"{len(calls)} Graph requests with {ua} from {network.provider} "
                            f"({network.country}), {listed} directory collections incl. "
                            f"directoryRoles and oauth2PermissionGrants, {forbidden} of them 403")
    world.label("suspiciousSignins", p, SCENARIO, "new-app-enumeration", [token],
                required=False, description="token request from the VPS")


#: Integrations that list at most one of the collections below (``sync`` lists users and groups),
#: but ``admin``, which lists applications and service principals: it gets one more extra.
SLOW_VICTIMS = ("mail", "sites", "reporting", "saas", "admin", "provisioning")
SLOW_LISTINGS = (("/v1.0/users?$top=999&$select=id,displayName,userPrincipalName", 1_800, 420),
                 ("/v1.0/groups?$top=999", 320, 900), ("/v1.0/devices?$top=999", 1_400, 700),
                 ("/v1.0/servicePrincipals?$top=999", 0, 3_200),
                 ("/v1.0/applications?$top=999", 0, 3_800))
SLOW_EXTRA = (("/v1.0/domains", 4, 600), ("/v1.0/administrativeUnits?$top=999", 12, 800),
              ("/v1.0/contacts?$top=999", 140, 900), ("/v1.0/organization", 1, 2_400))


def slow_recon(world: World, rng: Rand) -> None:
    (p,) = world.claim(rng, f"{SCENARIO}/slow-recon", graph_profile(*SLOW_VICTIMS))
    t = world.attack_time(rng, latest_margin=10 * HOUR)
    seg = p.segment_at(t)
    assert seg is not None
    ip = seg.site.ips[0]
    n_sps = len(world.tenant.by_id) + 380
    listing = [(base, total or (n_sps if "servicePrincipals" in base
                                else len(world.tenant.principals)), size)
               for base, total, size in SLOW_LISTINGS]
    extra = 1 + rng.randrange(3) + (p.graph_profile == "admin")  # 5 or more new to the app
    listing += rng.sample(list(SLOW_EXTRA), extra)
    tokens: list[SignInEvent] = []
    calls: list[GraphCall] = []
    now = t
    for base, total, size in listing:
        token = forge(rng, p, now, ip, seg.site.network, resource("graph"), seg.user_agent)
        tokens.append(token)
        at = now + rng.randrange(2_000, 20_000)
        for uri, n in pages(base, total, size)[:2]:
            calls.append(call(rng, token, at, "GET", uri, 200, n))
            at += rng.randrange(800, 4_000)
        now += rng.randrange(61 * MINUTE, 80 * MINUTE)  # over an hour: never two in one
    world.add(tokens)
    world.add(calls)
    hours = (calls[-1].t - calls[0].t) / HOUR
    world.label(TYPE, p, SCENARIO, "slow-recon", calls,
                description=f"{len(listing)} directory collections the app never lists, one every "
                            f"60-80 minutes over {hours:.1f} h, from its usual host")


VARIANTS = {"enumeration-403-burst": enumeration, "exfil-spike": exfil_spike,
            "new-app-enumeration": new_app_enumeration, "slow-recon": slow_recon}
