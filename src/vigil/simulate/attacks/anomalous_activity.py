"""anomalousServicePrincipalActivity: a compromised automation principal changing the directory.

The actor is a Graph "admin automation" app whose normal audited activity is retagging other apps
(see :func:`vigil.simulate.changes.routine_admin_noise`). Both the actor and the changed object are
labelled (two required labels, as the detector flags both).

* ``privileged-app-backdoor``: the actor adds a client secret to a privileged app (one holding
  Directory.ReadWrite.All) and minutes later grants itself RoleManagement.ReadWrite.Directory on
  Microsoft Graph. The backdoor secret is then used from a VPS (acceptable as suspiciousSignins).
* ``owner-and-role-member``: the actor makes itself an owner of a privileged service principal and
  adds itself to the Privileged Role Administrator directory role.
"""

from __future__ import annotations

from vigil.simulate import audit
from vigil.simulate.attacks.common import forge, graph_profile, minutes, privileged, spread
from vigil.simulate.catalog import ATTACKER_UAS
from vigil.simulate.networks import VPS, net
from vigil.simulate.rand import HOUR, Rand
from vigil.simulate.secrets import new_secret
from vigil.simulate.tenant import Credential, RoleGrant, resource
from vigil.simulate.world import World

SCENARIO = "sp-takeover"
TYPE = "anomalousServicePrincipalActivity"


def privileged_app_backdoor(world: World, rng: Rand) -> None:
    (actor,) = world.claim(rng, f"{SCENARIO}/privileged-app-backdoor", graph_profile("admin"))
    (target,) = world.claim(rng, f"{SCENARIO}/privileged-app-backdoor", privileged)
    t = world.attack_time(rng, latest_margin=3 * HOUR)
    backdoor = Credential(rng.guid(), "Password", "backup", t, t + 730 * 86_400_000,
                          secret=new_secret(rng), created_by="attacker")
    before = [c for c in target.credentials if c.present_at(t) and c.kind != "Federated"]
    target.credentials.append(backdoor)
    added = audit.credentials_changed(rng, t, target, before, [*before, backdoor],
                                      audit.by_app(actor))
    t_role = t + minutes(rng, 3, 10)
    grant = audit.app_role_assigned(rng, t_role, actor, world.tenant.resource_sp("graph"),
                                    "RoleManagement.ReadWrite.Directory", audit.by_app(actor))
    actor.roles.append(RoleGrant(rng.guid(), "RoleManagement.ReadWrite.Directory", t_role))
    world.add([added, grant])
    network = net(rng.pick(VPS))
    ip, ua = network.ip(rng), rng.pick(ATTACKER_UAS)
    uses = [forge(rng, target, x, ip, network, resource("graph"), ua, cred=backdoor,
                  cred_type="clientSecret")
            for x in spread(rng, t_role + minutes(rng, 20, 120), 2 + rng.randrange(3), HOUR)]
    world.add(uses)
    world.label(TYPE, actor, SCENARIO, "privileged-app-backdoor", [added, grant],
                description=f"added a secret to {target.display_name} and granted itself "
                            f"RoleManagement.ReadWrite.Directory")
    world.label(TYPE, target, SCENARIO, "privileged-app-backdoor", [added],
                key_ids=(backdoor.key_id,),
                description=f"secret {backdoor.key_id} added by service principal "
                            f"{actor.display_name}")
    world.label("suspiciousSignins", target, SCENARIO, "privileged-app-backdoor", uses,
                key_ids=(backdoor.key_id,), required=False,
                description="the backdoor secret used from a VPS")


def owner_and_role_member(world: World, rng: Rand) -> None:
    (actor,) = world.claim(rng, f"{SCENARIO}/owner-and-role-member", graph_profile("admin"))
    (target,) = world.claim(rng, f"{SCENARIO}/owner-and-role-member", privileged)
    t = world.attack_time(rng)
    owner = audit.owner_added(rng, t, actor, target, audit.by_app(actor))
    member = audit.member_added_to_role(rng, t + minutes(rng, 2, 8), actor,
                                        "Privileged Role Administrator", audit.by_app(actor))
    world.add([owner, member])
    world.label(TYPE, actor, SCENARIO, "owner-and-role-member", [owner, member],
                description=f"made itself owner of {target.display_name} and joined "
                            f"Privileged Role Administrator")
    world.label(TYPE, target, SCENARIO, "owner-and-role-member", [owner],
                description=f"service principal {actor.display_name} became an owner")


VARIANTS = {"privileged-app-backdoor": privileged_app_backdoor,
            "owner-and-role-member": owner_and_role_member}
