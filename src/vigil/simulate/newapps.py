"""Apps registered during the window: an admin adds a Graph integration, which starts running.

``register`` creates the application and its service principal at ``t`` (``Add application``,
``Add service principal``, a client secret, admin consent to its Graph app roles, all by one
admin), gives it a secret-based Graph segment from the tenant's cloud with an Azure SDK user agent
from 30-120 minutes later, and adds it to the tenant, claimed by ``owner`` so no other scenario or
change touches it. Its routine traffic comes from :mod:`vigil.simulate.baseline` like every
principal's. Both a benign change (``newApplication``) and the new-app scenario of
``graph-recon`` use it; such a principal is still learning for its first week. ``first_sync``
is a new sync app's first full read of users and groups (2-3 directory collections, paging).
"""

from __future__ import annotations

from vigil.simulate import audit
from vigil.simulate.archetypes import PROFILE_ROLES
from vigil.simulate.baseline import signins_for
from vigil.simulate.catalog import GRAPH_ROLES, WORKLOAD_UAS
from vigil.simulate.events import AuditRecord, GraphCall, SignInEvent
from vigil.simulate.graphcalls import USER_SELECT, call, pages
from vigil.simulate.networks import HOME_CLOUD, net
from vigil.simulate.rand import DAY, MINUTE, Rand
from vigil.simulate.secrets import new_secret
from vigil.simulate.tenant import Credential, Person, Principal, RoleGrant, Segment, Site, resource
from vigil.simulate.timeline import Interval
from vigil.simulate.world import World


def register(world: World, rng: Rand, index: int, name: str, profile: str, t: int,
             admin: Person, owner: str) -> tuple[Principal, list[AuditRecord]]:
    """A new home app ``name`` with Graph ``profile``, registered by ``admin`` at ``t``; returns
    it and its audit records (already added to ``world``)."""
    p = Principal(index=index, id=rng.guid(), app_id=rng.guid(), display_name=name,
                  archetype="graph", owner_tenant=world.tenant.id, created=t,
                  app_object_id=rng.guid())
    p.graph_profile = profile
    p.claimed_by = owner
    by = audit.by_user(admin)
    records = [audit.application_added(rng, t, p, by),
               audit.service_principal_added(rng, t + 1_000, p, by)]
    t_cred = t + rng.randrange(2 * MINUTE, 10 * MINUTE)
    cred = Credential(rng.guid(), "Password", "graph-client", t_cred,
                      t_cred + rng.pick((180, 365)) * DAY, secret=new_secret(rng))
    p.credentials.append(cred)
    records.append(audit.credentials_changed(rng, t_cred, p, [], [cred], by))
    graph = world.tenant.resource_sp("graph")
    at = t_cred + rng.randrange(MINUTE, 5 * MINUTE)
    for i, role in enumerate(r for r in PROFILE_ROLES[profile] if r in GRAPH_ROLES):
        records.append(audit.app_role_assigned(rng, at + i * 1_000, p, graph, role, by))
        p.roles.append(RoleGrant(rng.guid(), role, at + i * 1_000))
    network = net(rng.pick(HOME_CLOUD))
    site = Site(network, network.ips(rng, 1 + rng.randrange(2), cidr_index=0))
    ua = WORKLOAD_UAS[rng.pick(("dotnet", "python"))]
    start = at + rng.randrange(30 * MINUTE, 120 * MINUTE)
    p.segments.append(Segment(start, world.tenant.end, site, cred, (resource("graph"),), ua,
                              "clientSecret"))
    p.schedule = Interval(rng.pick((30, 45, 60)), 0.05)
    world.tenant.add(p)
    world.add(records)
    return p, records


def first_sync(world: World, rng: Rand, p: Principal, t: int,
               collections: int = 2) -> list[SignInEvent | GraphCall]:
    """A sync app's first full read at ``t``: a token, then every user and group with
    ``$top=999`` paging, each group's members, and with ``collections`` 3 the organization."""
    seg = p.segment_at(t)
    assert seg is not None
    (token,) = signins_for(p, seg, [t], rng)
    token.error = 0
    plan = [*pages(f"/v1.0/users?{USER_SELECT}&$top=999", 1_500 + rng.randrange(3_000), 420),
            *pages("/v1.0/groups?$select=id,displayName&$top=999", 200 + rng.randrange(400), 600)]
    plan += [(f"/v1.0/groups/{g}/members?$select=id&$top=999", 2_000 + rng.randrange(30_000))
             for g in world.tenant.group_ids]
    if collections >= 3:
        plan.insert(0, ("/v1.0/organization", 2_400))
    calls: list[GraphCall] = []
    now = t + rng.randrange(2_000, 10_000)
    for path, size in plan:
        calls.append(call(rng, token, now, "GET", path, 200, size))
        now += rng.randrange(400, 4_000)
    return [token, *calls]
