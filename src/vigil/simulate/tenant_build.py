"""Assemble the simulated tenant from the archetypes (see :mod:`vigil.simulate.archetypes`)."""

from __future__ import annotations

from vigil.simulate.archetypes import Factory, counts
from vigil.simulate.catalog import ADMINS, MICROSOFT_TENANT, RESOURCES, USERS
from vigil.simulate.config import SimConfig
from vigil.simulate.networks import net
from vigil.simulate.rand import Rand
from vigil.simulate.tenant import Person, Principal, Tenant

DOMAIN = "northwindtraders.com"


def build_tenant(cfg: SimConfig) -> Tenant:
    """The tenant of ``cfg.sps`` workload principals plus Microsoft's resource principals."""
    r = Rand.derive(cfg.seed, "tenant")
    tenant_id = r.guid()
    factory = Factory(cfg.seed, tenant_id, cfg.start_ms, cfg.end_ms)
    resource_sps = {
        key: Principal(index=-1 - i, id=r.guid(), app_id=app.app_id, display_name=app.display_name,
                       archetype="firstparty", owner_tenant=MICROSOFT_TENANT,
                       created=cfg.start_ms - 2000 * 86_400_000, publisher_name="Microsoft Services",
                       verified_publisher=None, sign_in_audience="AzureADMultipleOrgs")
        for i, (key, app) in enumerate(RESOURCES.items())
    }
    principals: list[Principal] = []
    plan = counts(cfg.sps)
    order = [kind for kind in ("daemon", "pipeline", "graph", "saas", "managed", "rare", "occasional")
             for _ in range(plan[kind])]
    nth: dict[str, int] = {}
    for index, kind in enumerate(order):
        k = nth.get(kind, 0)
        nth[kind] = k + 1
        if kind == "daemon":
            p = factory.daemon(index)
        elif kind == "pipeline":
            p = factory.pipeline(index)
        elif kind == "managed":
            p = factory.managed(index)
        else:
            p = getattr(factory, kind)(index, k)
        principals.append(p)
    daemons = [p for p in principals if p.archetype == "daemon"]
    for p in daemons[: max(2, len(daemons) // 15)]:
        factory.privileged(p)
    office = net("kpn-nl")
    admins = [Person(r.guid(), name, f"{upn}@{DOMAIN}", office.ip(r)) for name, upn in ADMINS]
    users = [Person(r.guid(), name, f"{upn}@{DOMAIN}", net("vodafone-nl").ip(r))
             for name, upn in USERS]
    return Tenant(
        id=tenant_id,
        domain=DOMAIN,
        name="Northwind Traders",
        workspace_id=r.guid(),
        start=cfg.start_ms,
        end=cfg.end_ms,
        principals=principals,
        resource_sps=resource_sps,
        admins=admins,
        users=users,
        user_ids=[r.guid() for _ in range(60)],
        group_ids=[r.guid() for _ in range(25)],
        msi_platform_sp=r.guid(),
    )
