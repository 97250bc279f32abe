"""The simulated tenant: principals, their credentials and how they behave over time.

A :class:`Principal`'s behaviour is a list of :class:`Segment` values, each covering a time range
with one egress site, credential, resource mix and user agent. Benign changes and attacks split or
add segments; :mod:`vigil.simulate.baseline` turns segments into sign-ins. Times are epoch ms (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vigil.simulate.catalog import RESOURCES, ResourceApp
from vigil.simulate.networks import Network
from vigil.simulate.rand import Rand
from vigil.simulate.timeline import Schedule


@dataclass(slots=True)
class Credential:
    """A password, certificate or federated identity credential of an app or service principal."""

    key_id: str
    kind: str  # "Password" | "AsymmetricX509Cert" | "Federated"
    display_name: str
    start: int
    end: int
    secret: str | None = None
    thumbprint: str | None = None
    issuer: str | None = None
    subject: str | None = None
    removed: int | None = None
    #: "admin", "platform" or "attacker"; attacker-made secrets are not in ``secrets.json``.
    created_by: str = "admin"
    #: On the application object (True) or on the service principal itself.
    on_application: bool = True

    @property
    def hint(self) -> str | None:
        return self.secret[:3] if self.secret else None

    def present_at(self, t: int) -> bool:
        return self.start <= t and (self.removed is None or t < self.removed)


@dataclass(slots=True)
class Site:
    """Where a workload's requests come from: a network and the addresses it uses there."""

    network: Network
    ips: tuple[str, ...]


@dataclass(slots=True)
class Segment:
    start: int
    end: int
    site: Site
    cred: Credential | None
    resources: tuple[ResourceApp, ...]
    user_agent: str | None
    #: Graph ``clientCredentialType``.
    cred_type: str
    #: STS error every attempt gets in this segment (0: use the credential's validity).
    forced_error: int = 0


@dataclass(slots=True)
class RoleGrant:
    id: str
    role: str  # Graph app role value
    created: int


@dataclass(slots=True)
class Principal:
    index: int
    id: str
    app_id: str
    display_name: str
    archetype: str  # daemon|pipeline|graph|saas|managed|rare|occasional|firstparty|external
    owner_tenant: str
    created: int
    sp_type: str = "Application"
    app_object_id: str | None = None
    schedule: Schedule | None = None
    segments: list[Segment] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)
    roles: list[RoleGrant] = field(default_factory=list)
    graph_profile: str | None = None
    msi_type: str | None = None
    associated_resource_id: str | None = None
    publisher_name: str | None = None
    verified_publisher: str | None = None
    sign_in_audience: str = "AzureADMyOrg"
    reply_urls: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    disabled_by_microsoft: str | None = None
    account_enabled: bool = True
    #: The scenario or benign change that owns this principal (victims are not reused).
    claimed_by: str | None = None

    @property
    def is_home_app(self) -> bool:
        return self.app_object_id is not None

    @property
    def uses_secret(self) -> bool:
        return bool(self.segments) and self.segments[0].cred_type == "clientSecret"

    def segment_at(self, t: int) -> Segment | None:
        for seg in self.segments:
            if seg.start <= t < seg.end:
                return seg
        return None

    def split(self, t: int, **changes: Any) -> Segment:
        """Start a new segment at ``t`` that copies the one in force with ``changes`` applied."""
        idx = next(i for i, s in enumerate(self.segments) if s.start <= t < s.end)
        old = self.segments[idx]
        new = Segment(
            start=t,
            end=old.end,
            site=changes.get("site", old.site),
            cred=changes.get("cred", old.cred),
            resources=changes.get("resources", old.resources),
            user_agent=changes.get("user_agent", old.user_agent),
            cred_type=changes.get("cred_type", old.cred_type),
            forced_error=changes.get("forced_error", old.forced_error),
        )
        old.end = t
        self.segments.insert(idx + 1, new)
        return new

    def role_values(self, at: int | None = None) -> list[str]:
        return [g.role for g in self.roles if at is None or g.created <= at]


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    display_name: str
    upn: str
    ip: str


@dataclass(slots=True)
class Tenant:
    id: str
    domain: str
    name: str
    workspace_id: str
    start: int
    end: int
    principals: list[Principal]
    resource_sps: dict[str, Principal]
    admins: list[Person]
    users: list[Person]
    #: Object ids of sample users and groups used in Graph request URIs.
    user_ids: list[str]
    group_ids: list[str]
    #: Service principal id of Entra's "Managed Service Identity" platform actor.
    msi_platform_sp: str
    by_id: dict[str, Principal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {p.id: p for p in self.all_principals()}

    def all_principals(self) -> list[Principal]:
        return [*self.resource_sps.values(), *self.principals]

    def add(self, p: Principal) -> None:
        self.principals.append(p)
        self.by_id[p.id] = p

    def resource_sp(self, key: str) -> Principal:
        return self.resource_sps[key]


def resource(key: str) -> ResourceApp:
    return RESOURCES[key]


def new_thumbprint(rng: Rand) -> str:
    return f"{rng.getrandbits(160):040X}"
