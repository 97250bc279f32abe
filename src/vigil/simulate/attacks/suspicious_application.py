"""suspiciousApplication: consent-phishing apps from an attacker's tenant.

Both apps are multi-tenant, owned by another organization, without a verified publisher, and named
after a well-known product with a confusable character. Their service principals appear in the
tenant by consent; the label starts at the ``Add service principal`` record.

* ``homoglyph-tunnel``: "Micrоsoft Teams Sync" (Cyrillic о); reply URL on a trycloudflare.com tunnel;
  a user consents to Mail.Read, Files.ReadWrite.All and offline_access within minutes of creation.
* ``raw-ip-reply-url``: "DocuSіgn eSignature" (Ukrainian і); reply URL ``http://<raw IP>:8080``; a
  phished admin grants application permissions Mail.ReadWrite and Files.ReadWrite.All, a client
  secret is added to the service principal right after consent, and the app then reads mailboxes
  from a VPS (that Graph traffic is acceptable as suspiciousAPITraffic, not required).
"""

from __future__ import annotations

from vigil.simulate import audit
from vigil.simulate.attacks.common import forge, minutes, spread
from vigil.simulate.catalog import GRAPH_APP_ID
from vigil.simulate.events import GraphCall
from vigil.simulate.graphcalls import call
from vigil.simulate.networks import net
from vigil.simulate.rand import HOUR, MINUTE, Rand
from vigil.simulate.secrets import new_secret
from vigil.simulate.tenant import Credential, Principal, RoleGrant, resource
from vigil.simulate.world import World

SCENARIO = "consent-phishing"
TYPE = "suspiciousApplication"
WORDS = ("amber", "canyon", "delta", "ember", "harbor", "meadow", "orbit", "prairie", "quartz")


def _app(world: World, rng: Rand, index: int, name: str, publisher: str, reply: str, t: int
         ) -> Principal:
    p = Principal(index=index, id=rng.guid(), app_id=rng.guid(), display_name=name,
                  archetype="external", owner_tenant=rng.guid(), created=t,
                  publisher_name=publisher, sign_in_audience="AzureADMultipleOrgs",
                  reply_urls=(reply,), tags=("WindowsAzureActiveDirectoryIntegratedApp",))
    p.claimed_by = SCENARIO
    world.tenant.add(p)
    return p


def homoglyph_tunnel(world: World, rng: Rand) -> None:
    t = world.attack_time(rng)
    host = "-".join(rng.sample(WORDS, 3)) + f"-{rng.randrange(100, 999)}"
    p = _app(world, rng, 100_001, "Micr\u043esoft Teams Sync", "Microsoft Teams",
             f"https://{host}.trycloudflare.com/auth/callback", t)
    user = rng.pick(world.tenant.users)
    scopes = ["Mail.Read", "Files.ReadWrite.All", "offline_access", "User.Read"]
    graph = world.tenant.resource_sp("graph")
    records = [audit.service_principal_added(rng, t, p, audit.by_user(user)),
               audit.consented(rng, t + 2_000, p, graph, scopes, False, False, audit.by_user(user)),
               audit.delegated_grant(rng, t + 3_000, p, graph, scopes, audit.by_user(user))]
    world.add(records)
    world.label(TYPE, p, SCENARIO, "homoglyph-tunnel", records,
                extra={"servicePrincipals": (p.id,)},
                description=f"lookalike name, unverified publisher, tunnel reply URL; {user.upn} "
                            f"consented to {' '.join(scopes)} at creation")


def raw_ip_reply_url(world: World, rng: Rand) -> None:
    t = world.attack_time(rng, latest_margin=6 * HOUR)
    vps = net(rng.pick(("hetzner-fi", "ovh-gb", "vultr-us")))
    server = vps.ip(rng)
    p = _app(world, rng, 100_002, "DocuS\u0456gn eSignature", "DocuSign Inc",
             f"http://{server}:8080/oauth/callback", t)
    admin = rng.pick(world.tenant.admins)
    graph = world.tenant.resource_sp("graph")
    by = audit.by_user(admin)
    roles = ["Mail.ReadWrite", "Files.ReadWrite.All"]
    records = [audit.service_principal_added(rng, t, p, by),
               audit.consented(rng, t + 2_000, p, graph, roles, True, True, by)]
    for i, role in enumerate(roles):
        at = t + minutes(rng, 1, 3) + i * 1_000
        records.append(audit.app_role_assigned(rng, at, p, graph, role, by))
        p.roles.append(RoleGrant(rng.guid(), role, at))
    t_cred = t + minutes(rng, 5, 15)
    secret = Credential(rng.guid(), "Password", "sync", t_cred, t_cred + 730 * 86_400_000,
                        secret=new_secret(rng), created_by="attacker", on_application=False)
    p.credentials.append(secret)
    records.append(audit.credentials_changed(rng, t_cred, p, [], [secret], by))
    world.add(records)
    attacker = net(rng.pick(("digitalocean-us", "vultr-us", "hetzner-de")))
    ip = attacker.ip(rng)
    tokens = [forge(rng, p, x, ip, attacker, resource("graph"), "python-requests/2.32.3",
                    cred=secret, cred_type="clientSecret")
              for x in spread(rng, t_cred + minutes(rng, 30, 240), 3, 2 * HOUR)]
    calls: list[GraphCall] = []
    for tok in tokens:
        for _ in range(20 + rng.randrange(40)):
            user = rng.pick(world.tenant.user_ids)
            calls.append(call(rng, tok, tok.t + rng.randrange(50 * MINUTE), "GET",
                              f"/v1.0/users/{user}/messages?$top=500&$select=subject,body,from",
                              200, rng.randrange(400_000, 9_000_000)))
    world.add(tokens)
    world.add(calls)
    assert graph.app_id == GRAPH_APP_ID
    world.label(TYPE, p, SCENARIO, "raw-ip-reply-url", records, extra={"servicePrincipals": (p.id,)},
                end=tokens[-1].t,
                description=f"lookalike name, unverified publisher, reply URL to raw IP {server}; "
                            f"{admin.upn} granted {' and '.join(roles)}; secret added right after")
    world.label("suspiciousAPITraffic", p, SCENARIO, "raw-ip-reply-url", calls, required=False,
                description="mailbox reading by the phishing app")
    world.label("suspiciousSignins", p, SCENARIO, "raw-ip-reply-url", tokens, required=False,
                description="a brand-new principal signing in from a VPS")


VARIANTS = {"homoglyph-tunnel": homoglyph_tunnel, "raw-ip-reply-url": raw_ip_reply_url}
