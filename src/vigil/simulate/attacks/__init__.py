"""The attack library: one module per riskEventType family, and the registry of scenarios.

``SCENARIOS`` maps a scenario name (``vigil simulate --scenario NAME``) to its riskEventType and
variants; ``NAME/VARIANT`` selects one variant. ``adminConfirmedServicePrincipalCompromised`` is not
simulated in the logs (it comes from an administrator's action); ``labels.json`` says so under
``notSimulated``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vigil.simulate.attacks import (
    anomalous_activity,
    api_traffic,
    leaked_credentials,
    malicious_application,
    suspicious_application,
    suspicious_signins,
    threat_intelligence,
)
from vigil.simulate.config import SimulationError
from vigil.simulate.rand import Rand
from vigil.simulate.world import World

Variant = Callable[[World, Rand], None]


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    risk_event_type: str
    variants: dict[str, Variant]
    doc: str


SCENARIOS: dict[str, Scenario] = {
    m.SCENARIO: Scenario(m.SCENARIO, m.TYPE, m.VARIANTS, (m.__doc__ or "").strip())
    for m in (
        suspicious_signins,
        threat_intelligence,
        leaked_credentials,
        malicious_application,
        suspicious_application,
        anomalous_activity,
        api_traffic,
    )
}


def select(names: tuple[str, ...] | None) -> list[tuple[str, str]]:
    """``(scenario, variant)`` pairs in registry order; ``None`` selects all, ``()`` none."""
    if names is None:
        return [(s, v) for s in SCENARIOS for v in SCENARIOS[s].variants]
    wanted: set[tuple[str, str]] = set()
    for name in names:
        scenario, _, variant = name.partition("/")
        if scenario not in SCENARIOS:
            raise SimulationError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
        variants = SCENARIOS[scenario].variants
        if variant and variant not in variants:
            raise SimulationError(
                f"unknown variant {variant!r} of {scenario}; known: {', '.join(variants)}"
            )
        wanted.update((scenario, v) for v in ([variant] if variant else variants))
    return [(s, v) for s in SCENARIOS for v in SCENARIOS[s].variants if (s, v) in wanted]


def run(world: World, names: tuple[str, ...] | None) -> None:
    """Run the selected variants, each with its own random stream."""
    for scenario, variant in select(names):
        SCENARIOS[scenario].variants[variant](world, world.rng("attack", scenario, variant))
