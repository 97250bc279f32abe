"""Benign changes: what authorized admins and the platform do, logged in the audit log.

Kinds (``benignChanges[].kind`` in ``labels.json``):

* ``credentialRotation``: an admin adds a new secret or certificate; the workload switches to it
  10-90 minutes later; the old one is removed 1-5 days later (one rotation also has a forgotten
  instance that keeps using the removed secret for a few hours: 7000215 failures from the usual
  addresses). One rotation per tenant follows an expiry: 7000222 failures until the admin reacts.
* ``newRegion``: an admin notes a migration; the workload moves to another Azure region (country).
* ``newResource``: an admin grants a Graph app role; the workload starts calling Microsoft Graph.
* ``newFederatedCredential``: an admin adds a federated identity credential; the workload switches
  from its client secret to federation from new addresses (GitHub runners or AKS).
* ``platformCredentialRotation``: Entra's "Managed Service Identity" actor rotates a managed
  identity's certificate (as in the public Elastic sample).
* ``newApplication``: an admin registers a directory sync app (:mod:`vigil.simulate.newapps`);
  within its first hour it reads every user and group with paging, 2-3 directory collections,
  while it is still learning (also a ``firstDaySync`` decoy naming those records).

Also unlabeled routine audit noise: admin-profile Graph apps updating other apps' tags.
"""

from __future__ import annotations

from vigil.simulate import audit
from vigil.simulate.baseline import signins_for
from vigil.simulate.catalog import NEW_APPS, WORKLOAD_UAS
from vigil.simulate.events import GraphCall
from vigil.simulate.networks import RUNNERS, net
from vigil.simulate.newapps import first_sync, register
from vigil.simulate.rand import DAY, HOUR, MINUTE, Rand
from vigil.simulate.secrets import new_secret
from vigil.simulate.tenant import Credential, Principal, RoleGrant, Site, new_thumbprint, resource
from vigil.simulate.timeline import Interval
from vigil.simulate.world import World

YEAR = 365 * DAY


def _present(p: Principal, t: int, on_application: bool = True) -> list[Credential]:
    return [c for c in p.credentials if c.present_at(t) and c.kind != "Federated"
            and c.on_application == on_application and c.created_by != "vendor"]


def _renew(rng: Rand, p: Principal, old: Credential, t: int) -> Credential:
    if old.kind == "Password":
        return Credential(rng.guid(), "Password", f"prod-{rng.randrange(2026, 2028)}", t,
                          t + rng.pick((180, 365, 730)) * DAY, secret=new_secret(rng))
    return Credential(rng.guid(), "AsymmetricX509Cert", f"CN={p.display_name}", t, t + 2 * YEAR,
                      thumbprint=new_thumbprint(rng))


def rotate(world: World, rng: Rand, p: Principal, t: int, *, forgotten: bool,
           why: str = "scheduled rotation") -> None:
    """Add a new credential at ``t``, switch to it, remove the old one days later."""
    admin = rng.pick(world.tenant.admins)
    seg = p.segment_at(t)
    assert seg is not None and seg.cred is not None
    old = seg.cred
    new = _renew(rng, p, old, t)
    before = _present(p, t)
    p.credentials.append(new)
    added = audit.credentials_changed(rng, t, p, before, [*before, new], audit.by_user(admin))
    records = [added]
    p.split(t + rng.randrange(10 * MINUTE, 90 * MINUTE), cred=new)
    removed_at = t + rng.randrange(DAY, 5 * DAY)
    if removed_at < world.tenant.end:
        old.removed = removed_at
        now = _present(p, removed_at - 1)
        records.append(audit.credentials_changed(rng, removed_at, p, now,
                                                 [c for c in now if c is not old],
                                                 audit.by_user(admin)))
        if forgotten and isinstance(p.schedule, Interval):
            stale = p.segment_at(removed_at)
            if stale is not None:
                times = p.schedule.times(removed_at + 10 * MINUTE, removed_at + 6 * HOUR, rng)
                events = signins_for(p, stale, times, rng)
                for e in events:
                    e.cred, e.error = old, 7000215
                world.add(events)
    world.add(records)
    world.benign("credentialRotation", p, t, admin.upn,
                 f"{why}: {old.kind} {old.key_id} replaced by {new.key_id}", records)


def expiry_then_rotation(world: World, rng: Rand, p: Principal, t_expiry: int) -> None:
    seg = p.segment_at(t_expiry)
    assert seg is not None and seg.cred is not None
    seg.cred.end = t_expiry
    rotate(world, rng, p, t_expiry + rng.randrange(2 * HOUR, 10 * HOUR), forgotten=False,
           why="secret expired (7000222 failures), rotated by an admin")


def new_region(world: World, rng: Rand, p: Principal, t: int) -> None:
    admin = rng.pick(world.tenant.admins)
    seg = p.segment_at(t)
    assert seg is not None
    target = net("azure-northeurope" if seg.site.network.country != "IE" else "azure-uksouth")
    note = f"Runs in {target.region} since change CHG-{rng.randrange(1000, 9999)}"
    rec = audit.application_updated(rng, t, p, [("Notes", f"Runs in {seg.site.network.region}",
                                                  note)], audit.by_user(admin))
    world.add([rec])
    p.split(t + rng.randrange(30 * MINUTE, 3 * HOUR),
            site=Site(target, target.ips(rng, len(seg.site.ips), cidr_index=0)))
    world.benign("newRegion", p, t, admin.upn, f"moved to {target.region} ({target.country})",
                 [rec])


def new_resource(world: World, rng: Rand, p: Principal, t: int) -> None:
    admin = rng.pick(world.tenant.admins)
    role = rng.pick(("Sites.Read.All", "User.Read.All"))
    graph = world.tenant.resource_sp("graph")
    rec = audit.app_role_assigned(rng, t, p, graph, role, audit.by_user(admin))
    world.add([rec])
    p.roles.append(RoleGrant(rng.guid(), role, t))
    p.graph_profile = "sites" if role == "Sites.Read.All" else "saas"
    seg = p.segment_at(t)
    assert seg is not None
    p.split(t + rng.randrange(20 * MINUTE, 2 * HOUR), resources=(*seg.resources, resource("graph")))
    world.benign("newResource", p, t, admin.upn, f"granted {role}; starts calling Microsoft Graph",
                 [rec])


def new_federated_credential(world: World, rng: Rand, p: Principal, t: int) -> None:
    admin = rng.pick(world.tenant.admins)
    if p.archetype == "pipeline":
        repo = p.display_name.split("-", 1)[1].rsplit("-", 1)[0]
        issuer, subject = ("https://token.actions.githubusercontent.com",
                           f"repo:northwind/{repo}:environment:production")
        network = net(RUNNERS)
        site, ua = Site(network, network.ips(rng, 60)), WORKLOAD_UAS["azcli"]
    else:
        cluster = rng.guid()
        issuer = f"https://westeurope.oic.prod-aks.azure.com/{world.tenant.id}/{cluster}/"
        subject = f"system:serviceaccount:{p.display_name}:workload"
        network = net("azure-westeurope")
        site, ua = Site(network, network.ips(rng, 2, cidr_index=1)), None
    name = f"{p.display_name}-federation"
    fic = Credential(rng.guid(), "Federated", name, t, t + 20 * YEAR, issuer=issuer,
                     subject=subject)
    p.credentials.append(fic)
    value = [{"Name": name, "Issuer": issuer, "Subject": subject,
              "Audiences": ["api://AzureADTokenExchange"]}]
    rec = audit.application_updated(rng, t, p, [("FederatedIdentityCredentials", [], value)],
                                    audit.by_user(admin))
    world.add([rec])
    seg = p.segment_at(t)
    assert seg is not None
    p.split(t + rng.randrange(HOUR, 3 * HOUR), site=site, cred=fic,
            cred_type="federatedIdentityCredential", user_agent=ua or seg.user_agent)
    world.benign("newFederatedCredential", p, t, admin.upn,
                 f"federated credential for {issuer}; switches from its client secret", [rec])


def new_application(world: World, rng: Rand, nth: int, t: int) -> None:
    admin = rng.pick(world.tenant.admins)
    name = NEW_APPS[1 + nth % (len(NEW_APPS) - 1)]  # the first is the new-app scenario's
    p, records = register(world, rng, 100_100 + nth, name, "sync", t, admin, "benign:new-app")
    world.benign("newApplication", p, t, admin.upn,
                 "registered a directory sync app with User.Read.All, Group.Read.All and "
                 "Directory.Read.All", records)
    collections = 2 + rng.randrange(2)
    events = first_sync(world, rng, p, p.segments[0].start + rng.randrange(MINUTE, 30 * MINUTE),
                        collections)
    world.add(events)
    calls = [e for e in events if isinstance(e, GraphCall)]
    world.decoy("firstDaySync", events[0].t,
                f"first full read of a new sync app: {len(calls)} requests, {collections} "
                f"directory collections with paging, while it learns", sp=p,
                records={"signIns": (events[0].id,), "graphActivities": tuple(c.id for c in calls)})


def platform_rotations(world: World, rng: Rand) -> None:
    start, end = world.tenant.start + DAY, world.tenant.end - DAY
    for p in world.tenant.principals:
        if p.archetype != "managed" or rng.random() > 0.6:
            continue
        t = start + rng.randrange(end - start)
        t -= t % 1000
        old = _present(p, t, on_application=False)
        new = Credential(rng.guid(), "AsymmetricX509Cert", f"CN={p.app_id}", t, t + 90 * DAY,
                         thumbprint=new_thumbprint(rng), created_by="platform",
                         on_application=False)
        p.credentials.append(new)
        rec = audit.credentials_changed(rng, t, p, old, [*old, new],
                                        audit.by_platform(world.tenant.msi_platform_sp))
        world.add([rec])
        world.benign("platformCredentialRotation", p, t, "Managed Service Identity",
                     "managed identity certificate renewed by the platform", [rec])


def routine_admin_noise(world: World, rng: Rand) -> None:
    """Admin-profile Graph apps retag other apps every few days (baseline for anomaly models);
    admins edit app notes about once a day. Neither touches an attack victim or changes behaviour,
    so neither is listed as a benign change.
    """
    apps = [p for p in world.tenant.principals if p.is_home_app and p.claimed_by is None]
    if not apps:
        return
    t = world.tenant.start + rng.randrange(DAY)
    while t < world.tenant.end:
        admin, app = rng.pick(world.tenant.admins), rng.pick(apps)
        note = f"Owner team: {rng.pick(('platform', 'security', 'finance', 'hr', 'data'))}"
        world.add([audit.application_updated(rng, t, app, [("Notes", None, note)],
                                             audit.by_user(admin))])
        t += rng.randrange(12 * HOUR, 48 * HOUR)
    for actor in [p for p in world.tenant.principals if p.graph_profile == "admin"]:
        t = world.tenant.start + rng.randrange(2 * DAY)
        while t < world.tenant.end:
            other = rng.pick(apps)
            tag = f"owner:{rng.pick(('platform', 'security', 'finance', 'hr'))}"
            if rng.random() < 0.5:
                rec = audit.application_updated(rng, t, other, [("Tags", [], [tag])],
                                                audit.by_app(actor))
            else:
                rec = audit.service_principal_updated(rng, t, other, [("Tags", [], [tag])],
                                                      audit.by_app(actor))
            world.add([rec])
            t += rng.randrange(2 * DAY, 4 * DAY)


def home(p: Principal) -> bool:
    return p.is_home_app and p.archetype in ("daemon", "graph", "pipeline")


def apply_benign_changes(world: World) -> None:
    """Apply every benign change kind once per 100 principals (at least once each when a
    suitable principal is left after the attacks claimed theirs)."""
    rng = world.rng("changes")
    per_kind = max(1, world.cfg.sps // 100)
    for i in range(per_kind):
        for p in world.claim(rng, "benign:rotation", lambda p: home(p) and p.segments[0].cred
                             is not None and p.segments[0].cred.kind != "Federated", optional=True):
            rotate(world, rng, p, world.attack_time(rng), forgotten=i == 0)
        for p in world.claim(rng, "benign:region", lambda p: p.archetype == "daemon"
                             and p.segments[0].site.network.key == "azure-westeurope", optional=True):
            new_region(world, rng, p, world.attack_time(rng))
        for p in world.claim(rng, "benign:resource", lambda p: p.archetype == "daemon"
                             and all(r.key != "graph" for r in p.segments[0].resources), optional=True):
            new_resource(world, rng, p, world.attack_time(rng))
        for p in world.claim(rng, "benign:fic", lambda p: home(p) and p.uses_secret,
                             optional=True):
            new_federated_credential(world, rng, p, world.attack_time(rng))
        new_application(world, rng, i, world.attack_time(rng, latest_margin=DAY))
    for p in world.claim(rng, "benign:expiry", lambda p: home(p) and p.uses_secret,
                         optional=True):
        expiry_then_rotation(world, rng, p, world.attack_time(rng, latest_margin=DAY))
    platform_rotations(world, rng)
    routine_admin_noise(world, rng)
