"""Microsoft Graph requests made with a token: what each integration profile normally calls.

A token (a successful sign-in to Microsoft Graph) is followed by a profile-dependent number of
requests within its lifetime. Each endpoint template has a method, a path, a response-size range and
a weight; ``{u}``, ``{g}``, ``{m}``, ``{i}`` are filled with sample user, group, message and item ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigil.simulate.events import GraphCall, SignInEvent
from vigil.simulate.rand import MINUTE, Rand
from vigil.simulate.tenant import Tenant
from vigil.simulate.timeline import WORKDAY_CURVE, local_hour

GRAPH = "https://graph.microsoft.com"


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    size: tuple[int, int]
    weight: float = 1.0
    status: int = 200


def _e(method: str, path: str, lo: int, hi: int, weight: float = 1.0, status: int = 200) -> Endpoint:
    return Endpoint(method, path, (lo, hi), weight, status)


USER_SELECT = "$select=id,displayName,userPrincipalName,mail,accountEnabled"
PROFILES: dict[str, tuple[Endpoint, ...]] = {
    "sync": (_e("GET", f"/v1.0/users/delta?{USER_SELECT}", 1_500, 40_000, 3),
             _e("GET", "/v1.0/groups/delta?$select=id,displayName,members", 1_000, 30_000, 2),
             _e("GET", f"/v1.0/users/{{u}}?{USER_SELECT}", 600, 1_400, 2),
             _e("GET", "/v1.0/groups/{g}/members?$top=999&$select=id", 2_000, 60_000, 1)),
    "reporting": (_e("GET", "/v1.0/reports/getOffice365ActiveUserDetail(period='D7')", 90_000,
                     900_000, 1),
                  _e("GET", "/v1.0/auditLogs/signIns?$top=999", 200_000, 1_200_000, 1),
                  _e("GET", "/v1.0/directoryRoles?$expand=members", 8_000, 30_000, 1),
                  _e("GET", "/v1.0/subscribedSkus", 4_000, 12_000, 1)),
    "mail": (_e("GET", "/v1.0/users/{u}/mailFolders/inbox/messages?$top=50&$select=subject,"
                "from,receivedDateTime", 15_000, 120_000, 4),
             _e("GET", "/v1.0/users/{u}/messages/{m}/attachments", 40_000, 2_000_000, 1),
             _e("GET", "/v1.0/users/{u}/mailboxSettings", 800, 1_500, 1)),
    "admin": (_e("GET", "/v1.0/applications?$top=100&$select=id,appId,displayName,"
                 "passwordCredentials,keyCredentials", 30_000, 300_000, 2),
              _e("GET", "/v1.0/servicePrincipals/{i}", 3_000, 8_000, 2),
              _e("GET", "/v1.0/servicePrincipals/{i}/appRoleAssignments", 1_000, 6_000, 1),
              _e("PATCH", "/v1.0/applications/{i}", 0, 0, 0.3, 204)),
    "provisioning": (_e("PATCH", "/v1.0/users/{u}", 0, 0, 2, 204),
                     _e("GET", "/v1.0/users?$filter=employeeId eq '{n}'&$select=id", 400, 1_200, 3),
                     _e("POST", "/v1.0/users", 1_200, 2_000, 0.3, 201),
                     _e("POST", "/v1.0/groups/{g}/members/$ref", 0, 0, 0.5, 204)),
    "sites": (_e("GET", "/v1.0/sites/{i}/drive/root/children", 5_000, 50_000, 3),
              _e("GET", "/v1.0/drives/{i}/items/{m}/content", 100_000, 5_000_000, 1)),
    "saas": (_e("GET", "/v1.0/users?$top=100&$select=id,displayName,mail", 20_000, 80_000, 1),
             _e("GET", "/v1.0/users/{u}/calendar/events?$top=50", 10_000, 80_000, 3),
             _e("GET", "/v1.0/users/{u}", 900, 1_600, 2)),
}
#: Mean requests per token at the busiest hour.
RATE = {"sync": 3.0, "reporting": 1.5, "mail": 4.0, "admin": 1.5, "provisioning": 2.5,
        "sites": 2.5, "saas": 1.5}


SKIP = "$skiptoken=RFNwdAIAAQAAACpVc2VyXzE"


def pages(base: str, total: int, size: int, top: int = 999) -> list[tuple[str, int]]:
    """The requests (URI, response bytes) that list ``total`` objects of ``size`` bytes from
    ``base`` (which holds ``$top=top``): the first page, then ``$skiptoken`` next pages."""
    out = []
    for i in range(max(1, -(-total // top))):
        n = min(top, total - i * top)
        out.append((base + ("" if i == 0 else f"&{SKIP}{i:03d}"), max(n, 1) * size))
    return out


def fill(path: str, tenant: Tenant, rng: Rand) -> str:
    if "{" not in path:
        return path
    return (path.replace("{u}", rng.pick(tenant.user_ids))
            .replace("{g}", rng.pick(tenant.group_ids))
            .replace("{m}", rng.token("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 22))
            .replace("{i}", rng.guid())
            .replace("{n}", str(100_000 + rng.randrange(900_000))))


def call(rng: Rand, token: SignInEvent, t: int, method: str, path: str, status: int,
         size: int, user_agent: str | None = None) -> GraphCall:
    """One Graph request made with ``token``'s access token at ``t``."""
    duration = 25 + size // 9_000 + rng.randrange(120)
    version = "beta" if path.startswith("/beta/") else "v1.0"
    return GraphCall(t=t, sp=token.sp, ip=token.ip, network=token.network, method=method,
                     uri=GRAPH + path, status=status, size=size, duration=duration,
                     user_agent=user_agent if user_agent is not None else token.user_agent,
                     rid=rng.guid_int(), token=token, api_version=version)


def routine_calls(rng: Rand, tenant: Tenant, token: SignInEvent, profile: str) -> list[GraphCall]:
    """The requests a ``profile`` integration makes with one token (busier in working hours)."""
    endpoints = PROFILES[profile]
    total = sum(e.weight for e in endpoints)
    lam = RATE[profile] * max(WORKDAY_CURVE[local_hour(token.t)], 0.15)
    out = []
    n = 0
    while rng.random() < lam / (lam + 1.0) and n < 40:  # geometric with mean lam
        n += 1
    for _ in range(n):
        x = rng.random() * total
        ep = endpoints[-1]
        for candidate in endpoints:
            x -= candidate.weight
            if x < 0:
                ep = candidate
                break
        status = ep.status
        roll = rng.random()
        if roll < 0.004:
            status = 429
        elif roll < 0.012 and ep.method == "GET":
            status = 404
        size = rng.randint(*ep.size) if status < 300 else 180 + rng.randrange(200)
        t = token.t + 2_000 + rng.randrange(55 * MINUTE)
        out.append(call(rng, token, t, ep.method, fill(ep.path, tenant, rng), status, size))
    return out
