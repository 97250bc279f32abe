"""maliciousApplication: applications Microsoft disabled for a terms-of-service violation.

The evidence is the inventory snapshot (taken at the end of the timeline): the service principal,
and for an app registered in the tenant also the application, carry ``disabledByMicrosoftStatus =
DisabledDueToViolationOfServicesAgreement``. From the moment it was disabled every sign-in attempt
fails with AADSTS7000112 (application disabled); the label runs from that moment to the snapshot.

* ``disabled-saas-app``: a third-party multi-tenant app consented in the tenant.
* ``disabled-tenant-app``: a rarely used app registered in the tenant (a bulk mailer).
"""

from __future__ import annotations

from vigil.simulate.baseline import signins_for
from vigil.simulate.rand import Rand
from vigil.simulate.tenant import Principal
from vigil.simulate.world import World

SCENARIO = "malicious-app"
TYPE = "maliciousApplication"
STATUS = "DisabledDueToViolationOfServicesAgreement"


def _disable(world: World, rng: Rand, p: Principal, variant: str) -> None:
    t = world.attack_time(rng)
    p.disabled_by_microsoft = STATUS
    failing = p.split(t, forced_error=7000112)
    p.segments.remove(failing)  # generated here, so the label can name the failures
    times = p.schedule.times(t, world.tenant.end, rng) if p.schedule else []
    events = signins_for(p, failing, times, rng)
    world.add(events)
    extra = {"servicePrincipals": (p.id,)}
    if p.app_object_id:
        extra["applications"] = (p.app_object_id,)
    world.label(TYPE, p, SCENARIO, variant, events[:20], start=t, end=world.tenant.end,
                extra=extra,
                description=f"disabledByMicrosoftStatus={STATUS} from {len(events)} failed "
                            f"sign-ins (7000112) on; inventory snapshot at the end")


def disabled_saas_app(world: World, rng: Rand) -> None:
    (p,) = world.claim(rng, f"{SCENARIO}/disabled-saas-app", lambda p: p.archetype == "saas")
    _disable(world, rng, p, "disabled-saas-app")


def disabled_tenant_app(world: World, rng: Rand) -> None:
    mailer = world.candidates(lambda p: p.display_name == "Marketing Bulk Mailer")
    test = ((lambda p: p is mailer[0]) if mailer else (lambda p: p.archetype == "rare"))
    (p,) = world.claim(rng, f"{SCENARIO}/disabled-tenant-app", test)
    _disable(world, rng, p, "disabled-tenant-app")


VARIANTS = {"disabled-saas-app": disabled_saas_app, "disabled-tenant-app": disabled_tenant_app}
