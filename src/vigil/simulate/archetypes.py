"""Workload archetypes: how each kind of service principal is set up and behaves.

* ``daemon``: a scheduled job in the tenant's cloud, every 15 min to 4 h with jitter; client secret
  (80 %) or certificate; one to six egress addresses; Key Vault, Storage, SQL, Service Bus, Graph.
* ``pipeline``: CI/CD in working-hours bursts; GitHub Actions with a federated credential from
  GitHub-hosted runners (many Azure US addresses) or a self-hosted agent with a client secret.
* ``graph``: a Microsoft Graph integration with a profile (sync, reporting, mail, admin...) that
  decides its app roles and Graph requests; token every 30-60 minutes.
* ``saas``: a third-party multi-tenant app (``appOwnerOrganizationId`` is the vendor's tenant),
  from the vendor's cloud, following the vendor's business day.
* ``managed``: a system- or user-assigned managed identity of an Azure resource.
* ``rare``: an app used a few times a month from an admin workstation or the cloud.
* ``occasional``: a job that signs in every 2-4 days from one address in the tenant's cloud with an
  Azure SDK user agent and a client secret (a sparse profile: 5-20 sign-ins in a month).
"""

from __future__ import annotations

from vigil.simulate.catalog import (
    DAEMON_JOBS,
    GRAPH_ROLES,
    MI_RESOURCES,
    OCCASIONAL_APPS,
    PIPELINE_KINDS,
    RARE_APPS,
    SAAS_UAS,
    SAAS_VENDORS,
    TEAMS,
    WORKLOAD_UAS,
)
from vigil.simulate.networks import HOME_CLOUD, OFFICE, RUNNERS, SAAS_CLOUDS, net
from vigil.simulate.rand import DAY, HOUR, Rand
from vigil.simulate.secrets import new_secret
from vigil.simulate.tenant import (
    Credential,
    Principal,
    RoleGrant,
    Segment,
    Site,
    new_thumbprint,
    resource,
)
from vigil.simulate.timeline import Diurnal, Interval, Sparse, Workday

#: Share of each archetype in a tenant of K principals (the rest are daemons).
MIX = (("pipeline", 0.15), ("graph", 0.15), ("saas", 0.12), ("managed", 0.18), ("rare", 0.07),
       ("occasional", 0.03))
#: Graph integration profiles, assigned in this order so small tenants get each kind.
GRAPH_PROFILES = ("admin", "sync", "mail", "admin", "reporting", "provisioning", "sync", "sites",
                  "mail", "reporting")
PROFILE_ROLES = {
    "sync": ("User.Read.All", "Group.Read.All", "Directory.Read.All"),
    "reporting": ("Directory.Read.All", "AuditLog.Read.All"),
    "mail": ("Mail.Read", "User.Read.All"),
    "admin": ("Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All",
              "Directory.Read.All"),
    "provisioning": ("User.ReadWrite.All", "Group.Read.All"),
    "sites": ("Sites.Read.All", "Files.Read.All"),
    "saas": ("User.Read.All", "Calendars.Read"),
}
PROFILE_NAMES = {
    "admin": ("Tenant Admin Automation", "App Registration Manager", "Identity Governance Bot"),
    "sync": ("Directory Sync", "HR Directory Sync", "Org Chart Publisher"),
    "mail": ("Mailbox Archiver", "Shared Mailbox Monitor", "Invoice Mail Intake"),
    "reporting": ("Identity Reporting", "License Reporter", "Access Reviewer"),
    "provisioning": ("Account Provisioning", "Guest Lifecycle", "Group Governance"),
    "sites": ("SharePoint Site Provisioner", "Teams Provisioning", "Records Retention"),
}
YEAR = 365 * DAY


class Factory:
    """Builds principals for one tenant; ``rng(i)`` gives principal ``i`` its own random stream."""

    def __init__(self, seed: int, tenant_id: str, start: int, end: int) -> None:
        self.seed, self.tenant_id, self.start, self.end = seed, tenant_id, start, end
        self.names: dict[str, int] = {}

    def rng(self, index: int) -> Rand:
        return Rand.derive(self.seed, "principal", index)

    def unique(self, name: str) -> str:
        n = self.names.get(name, 0) + 1
        self.names[name] = n
        return name if n == 1 else f"{name}{' ' if ' ' in name else '-'}{n}"

    def _base(self, r: Rand, index: int, name: str, archetype: str, home: bool = True) -> Principal:
        created = self.start - (60 + r.randrange(900)) * DAY
        return Principal(index=index, id=r.guid(), app_id=r.guid(), display_name=self.unique(name),
                         archetype=archetype, owner_tenant=self.tenant_id, created=created,
                         app_object_id=r.guid() if home else None)

    def _secret(self, r: Rand, p: Principal, label: str) -> Credential:
        start = max(p.created, self.start - r.randrange(20, 300) * DAY) + r.randrange(DAY)
        life = r.pick((180, 365, 365, 730)) * DAY
        # Keep the current credential valid through the window; changes.py decides expiries.
        while start + life < self.end + 30 * DAY:
            life += 365 * DAY
        return Credential(key_id=r.guid(), kind="Password", display_name=label, start=start,
                          end=start + life, secret=new_secret(r))

    def _cert(self, r: Rand, p: Principal) -> Credential:
        start = max(p.created, self.start - r.randrange(20, 300) * DAY)
        return Credential(key_id=r.guid(), kind="AsymmetricX509Cert",
                          display_name=f"CN={p.display_name}", start=start,
                          end=start + 2 * YEAR, thumbprint=new_thumbprint(r))

    def _grant(self, r: Rand, p: Principal, roles: tuple[str, ...]) -> None:
        for role in roles:
            if role in GRAPH_ROLES:
                p.roles.append(RoleGrant(r.guid(), role, p.created + r.randrange(DAY)))

    def _segment(self, p: Principal, site: Site, cred: Credential | None, res: tuple[str, ...],
                 ua: str | None, cred_type: str) -> None:
        p.segments.append(Segment(self.start, self.end, site, cred,
                                  tuple(resource(k) for k in res), ua, cred_type))

    def daemon(self, index: int) -> Principal:
        r = self.rng(index)
        p = self._base(r, index, f"{r.pick(TEAMS)}-{r.pick(DAEMON_JOBS)}", "daemon")
        network = net(r.pick(HOME_CLOUD))
        n_ips = r.pick((1, 1, 1, 2, 4, 6))
        site = Site(network, network.ips(r, n_ips, cidr_index=r.randrange(len(network.cidrs))))
        res = tuple(sorted({r.pick(("keyvault", "storage", "sql", "servicebus", "keyvault",
                                    "graph")) for _ in range(1 + r.randrange(2))}))
        secret = index % 5 != 4  # four in five daemons use a client secret
        cred = self._secret(r, p, "prod") if secret else self._cert(r, p)
        p.credentials.append(cred)
        if "graph" in res:
            self._grant(r, p, ("User.Read.All",))
        p.schedule = Interval(r.pick((15, 30, 60, 60, 60, 120, 240)), r.uniform(0.03, 0.2),
                              r.random() < 0.15)
        ua = WORKLOAD_UAS[r.pick(("dotnet", "python", "java", "node", "go"))]
        self._segment(p, site, cred, res, ua, "clientSecret" if secret else "certificate")
        return p

    def privileged(self, p: Principal) -> None:
        """Make daemon ``p`` a privileged automation app (Directory.ReadWrite.All on Graph)."""
        r = self.rng(p.index)
        self._grant(r, p, ("Directory.ReadWrite.All",))
        p.graph_profile = "provisioning"
        seg = p.segments[0]
        if all(x.key != "graph" for x in seg.resources):
            seg.resources = (*seg.resources, resource("graph"))

    def pipeline(self, index: int) -> Principal:
        r = self.rng(index)
        repo = f"{r.pick(TEAMS)}-{r.pick(('api', 'web', 'infra', 'service', 'platform'))}"
        github = index % 5 in (0, 2, 4)  # three in five on GitHub Actions
        name = f"{'gh' if github else 'ado'}-{repo}-{r.pick(PIPELINE_KINDS)}"
        p = self._base(r, index, name, "pipeline")
        p.schedule = Workday(runs=r.uniform(1.5, 10), burst=1 + r.randrange(3),
                             nightly_hour=r.pick((None, None, 2, 3)))
        ua = WORKLOAD_UAS[r.pick(("azcli", "terraform", "azcli"))]
        res = ("arm", "keyvault") if r.random() < 0.6 else ("arm",)
        if github:
            fic = Credential(key_id=r.guid(), kind="Federated", display_name=f"github-{repo}-main",
                             start=p.created, end=self.end + 10 * YEAR,
                             issuer="https://token.actions.githubusercontent.com",
                             subject=f"repo:northwind/{repo}:environment:production")
            p.credentials.append(fic)
            runners = net(RUNNERS)
            self._segment(p, Site(runners, runners.ips(r, 60 + r.randrange(80))), fic, res, ua,
                          "federatedIdentityCredential")
        else:
            cred = self._secret(r, p, "pipeline")
            p.credentials.append(cred)
            home = net("azure-westeurope")
            self._segment(p, Site(home, home.ips(r, 1 + r.randrange(3), cidr_index=0)), cred, res,
                          ua, "clientSecret")
        return p

    def graph(self, index: int, nth: int) -> Principal:
        r = self.rng(index)
        profile = GRAPH_PROFILES[nth % len(GRAPH_PROFILES)]
        names = PROFILE_NAMES[profile]
        p = self._base(r, index, names[nth // len(GRAPH_PROFILES) % len(names)], "graph")
        p.graph_profile = profile
        self._grant(r, p, PROFILE_ROLES[p.graph_profile])
        secret = nth % 5 not in (1, 3)  # three in five graph apps use a client secret
        cred = self._secret(r, p, "graph-client") if secret else self._cert(r, p)
        p.credentials.append(cred)
        network = net(r.pick(HOME_CLOUD))
        site = Site(network, network.ips(r, 1 + r.randrange(4), cidr_index=0))
        p.schedule = Interval(r.pick((30, 45, 60, 60)), 0.05, r.random() < 0.3)
        ua = WORKLOAD_UAS[r.pick(("dotnet", "python", "powershell"))]
        self._segment(p, site, cred, ("graph",), ua, "clientSecret" if secret else "certificate")
        return p

    def saas(self, index: int, nth: int) -> Principal:
        r = self.rng(index)
        vendor, publisher = SAAS_VENDORS[nth % len(SAAS_VENDORS)]
        p = self._base(r, index, vendor, "saas", home=False)
        p.owner_tenant = Rand.derive(0, "vendor", vendor).guid()  # a vendor's tenant is fixed
        p.publisher_name, p.verified_publisher = publisher, publisher
        p.sign_in_audience = "AzureADMultipleOrgs"
        slug = vendor.lower().replace(" ", "")
        p.reply_urls = (f"https://app.{slug}.com/auth/microsoft/callback",)
        p.tags = ("WindowsAzureActiveDirectoryIntegratedApp",)
        p.graph_profile = "saas"
        self._grant(r, p, PROFILE_ROLES["saas"])
        network = net(r.pick(SAAS_CLOUDS))
        site = Site(network, network.ips(r, 4 + r.randrange(16)))
        vendor_key = Credential(key_id=r.guid(), kind="Password", display_name="vendor",
                                start=p.created, end=self.end + YEAR, created_by="vendor")
        p.schedule = Diurnal(r.uniform(0.5, 5), floor=0.15, shift_hours=r.pick((0, 6, 7, 9)))
        res = ("graph",) if r.random() < 0.7 else ("graph", "sharepoint")
        self._segment(p, site, vendor_key, res, r.pick(SAAS_UAS), "clientSecret")
        return p

    def managed(self, index: int) -> Principal:
        r = self.rng(index)
        prefix, rtype = r.pick(MI_RESOURCES)
        team = r.pick(TEAMS)
        user_assigned = r.random() < 0.35
        compute = self.unique(f"{prefix}-{team}-prod")
        name = f"id-{team}-{r.pick(('prod', 'shared', 'batch'))}" if user_assigned else compute
        p = self._base(r, index, name, "managed", home=False)
        p.sp_type = "ManagedIdentity"
        p.msi_type = "userAssigned" if user_assigned else "systemAssigned"
        sub = Rand.derive(self.seed, "subscription", team).guid()
        p.associated_resource_id = (
            f"/subscriptions/{sub}/resourceGroups/rg-{team}-prod/providers/{rtype}/{compute}"
        )
        cert = Credential(key_id=r.guid(), kind="AsymmetricX509Cert",
                          display_name=f"CN={p.app_id}", start=self.start - r.randrange(40) * DAY,
                          end=self.start + 50 * DAY, thumbprint=new_thumbprint(r),
                          created_by="platform", on_application=False)
        p.credentials.append(cert)
        network = net("azure-westeurope")
        site = Site(network, network.ips(r, 1 + r.randrange(3), cidr_index=r.randrange(3)))
        res = tuple(sorted({r.pick(("keyvault", "storage", "sql", "servicebus", "arm"))
                            for _ in range(1 + r.randrange(2))}))
        p.schedule = Interval(r.pick((60, 120, 240, 480)), 0.1)
        self._segment(p, site, None, res, None, "managedIdentity")
        return p

    def rare(self, index: int, nth: int) -> Principal:
        r = self.rng(index)
        p = self._base(r, index, RARE_APPS[nth % len(RARE_APPS)], "rare")
        old = self._secret(r, p, "initial")
        old.start = p.created
        old.end = self.start - r.randrange(5, 120) * DAY  # expired long ago, never removed
        cred = self._secret(r, p, "current")
        p.credentials.extend([old, cred])
        office = r.random() < 0.5
        network = net(r.pick(OFFICE)) if office else net("azure-westeurope")
        site = Site(network, network.ips(r, 1 + r.randrange(2)))
        p.schedule = Sparse(r.uniform(0.5, 3))
        res = (r.pick(("graph", "sharepoint", "arm")),)
        self._segment(p, site, cred, res, WORKLOAD_UAS["powershell"], "clientSecret")
        return p

    def occasional(self, index: int, nth: int) -> Principal:
        r = self.rng(index)
        p = self._base(r, index, OCCASIONAL_APPS[nth % len(OCCASIONAL_APPS)], "occasional")
        cred = self._secret(r, p, "job")
        p.credentials.append(cred)
        network = net(r.pick(HOME_CLOUD))
        site = Site(network, network.ips(r, 1, cidr_index=r.randrange(len(network.cidrs))))
        p.schedule = Interval(r.uniform(2, 4) * 1440, 0.1)
        res = (r.pick(("storage", "keyvault", "sql")),)
        ua = WORKLOAD_UAS[r.pick(("dotnet", "python", "java"))]
        self._segment(p, site, cred, res, ua, "clientSecret")
        return p


def counts(k: int) -> dict[str, int]:
    """How many principals of each archetype a tenant of ``k`` gets."""
    out = {name: max(1, round(k * share)) for name, share in MIX}
    out["daemon"] = k - sum(out.values())
    return out


def first_hour(t: int) -> int:
    return t - t % HOUR
