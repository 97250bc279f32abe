"""Simulated Entra tenants in real export shapes, with attack scenarios and ground-truth labels.

``simulate(cfg, out)`` builds the tenant, runs the attack scenarios (they claim their victims
first), applies the benign changes to principals no scenario claimed, adds the sparse-profile,
leak and indicator decoys, generates the benign traffic of every principal's (possibly changed)
behaviour, adds noise indicators, labels attack sign-ins that an indicator happens to name
(``indicator_overlap``) and writes everything to ``out`` (layout:
:mod:`vigil.simulate.writers.output`). The same
:class:`SimConfig` always gives byte-identical files; nothing reads the wall clock.
"""

from __future__ import annotations

from pathlib import Path

from vigil.simulate import attacks
from vigil.simulate.attacks.indicator_overlap import label_indicator_overlaps
from vigil.simulate.attacks.leaked_credentials import decoys as leak_decoys
from vigil.simulate.attacks.suspicious_signins import decoys as sparse_decoys
from vigil.simulate.attacks.threat_intelligence import indicator_decoys
from vigil.simulate.baseline import generate_baseline
from vigil.simulate.changes import apply_benign_changes
from vigil.simulate.config import SimConfig, SimulationError
from vigil.simulate.rand import DAY
from vigil.simulate.stix import noise
from vigil.simulate.tenant_build import build_tenant
from vigil.simulate.world import World
from vigil.simulate.writers import output

__all__ = ["SimConfig", "SimulationError", "build", "simulate"]


def build(cfg: SimConfig) -> World:
    """Generate the whole world in memory (no I/O)."""
    world = World(cfg, build_tenant(cfg))
    attacks.run(world, cfg.scenarios)
    apply_benign_changes(world)
    sparse_decoys(world)
    leak_decoys(world)
    indicator_decoys(world)
    generate_baseline(world.tenant, world.activity, cfg.seed)
    world.indicators.extend(noise(world.rng("stix", "noise"), cfg.start_ms, cfg.end_ms + DAY, 30))
    label_indicator_overlaps(world)
    return world


def simulate(cfg: SimConfig, out: Path, *, force: bool = False) -> dict[str, int]:
    """Write the simulated tenant to ``out``; returns the record count of each file written."""
    output.prepare(out, force)
    return output.write(build(cfg), out)
