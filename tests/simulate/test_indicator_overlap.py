"""Attack sign-ins that an indicator names carry an acceptable threat-intelligence label."""

from __future__ import annotations

import dataclasses

import pytest

from vigil.simulate import SimConfig, build
from vigil.simulate.attacks.indicator_overlap import TYPE, label_indicator_overlaps, matches
from vigil.simulate.stix import Indicator
from vigil.simulate.world import World


def _world() -> World:
    """A tenant with the leaked-secret scenario only: its attack sign-ins match no indicator."""
    return build(SimConfig(seed=5, days=10, sps=40, scenarios=("leaked-secret",)))


def _used_secret(world: World):
    lb = next(
        lb
        for lb in world.labels.labels
        if lb.variant == "repo-commit-then-used" and lb.risk_event_type == "leakedCredentials"
    )
    ids = set(lb.records["signIns"])
    return lb, sorted((s for s in world.activity.signins if s.id in ids), key=lambda s: s.t)


def _indicator(value: str, kind: str, t: int, **kw) -> Indicator:
    return Indicator("indicator--t", kind, value, t - 1000, None, "test feed", **kw)


def test_seed_4_tor_use_of_a_leaked_secret_is_labelled() -> None:
    """The reproduced case: seed 4's leaked secret is used from the Tor range the feed lists."""
    world = build(SimConfig(seed=4))
    added = [lb for lb in world.labels.labels if lb.scenario == "indicator-overlap"]
    assert [
        (lb.risk_event_type, lb.required, lb.service_principal_display_name) for lb in added
    ] == [(TYPE, False, "pricing-backup-2")]
    assert "185.220.101.0/26" in added[0].description


def test_overlap_label_names_the_matching_attack_sign_ins() -> None:
    world = _world()
    assert not [lb for lb in world.labels.labels if lb.risk_event_type == TYPE]
    lb, uses = _used_secret(world)
    net = uses[0].ip.rsplit(".", 1)[0] + ".0/24" if "." in uses[0].ip else uses[0].ip
    kind = "ipv4-cidr" if "." in uses[0].ip else "ipv6"
    world.indicators.append(_indicator(net, kind, uses[0].t))
    assert label_indicator_overlaps(world) == 1
    added = world.labels.labels[-1]
    assert (added.risk_event_type, added.required, added.service_principal_id) == (
        TYPE,
        False,
        lb.service_principal_id,
    )
    assert set(added.records["signIns"]) == {s.id for s in uses}
    assert label_indicator_overlaps(world) == 0  # labelled once


@pytest.mark.parametrize(
    "change",
    [
        {"revoked": True},
        {"valid_until": 0},  # expired before the attack
    ],
)
def test_indicators_not_in_force_label_nothing(change: dict) -> None:
    world = _world()
    _, uses = _used_secret(world)
    world.indicators.append(
        dataclasses.replace(_indicator(uses[0].ip, "ipv4", uses[0].t), **change)
    )
    assert label_indicator_overlaps(world) == 0


def test_matches_user_agent_ignoring_case_and_exact_addresses() -> None:
    world = _world()
    _, uses = _used_secret(world)
    s = uses[0]
    assert matches(_indicator((s.user_agent or "").upper(), "user-agent", s.t), s)
    assert matches(_indicator(s.ip, "ipv4" if "." in s.ip else "ipv6", s.t), s)
    assert not matches(_indicator("192.0.2.1", "ipv4", s.t), s)
    assert not matches(_indicator(s.ip, "ipv4" if "." in s.ip else "ipv6", s.t + 10_000), s)


def test_a_threat_intel_label_on_other_records_does_not_hide_the_overlap() -> None:
    """Skipping is per record: a principal with a threat-intel label elsewhere (a spray target,
    say) still gets one for attack records that label does not name."""
    world = _world()
    lb, uses = _used_secret(world)
    victim = uses[0].sp
    other = next(
        s for s in world.activity.signins if s.sp is victim and s.id not in lb.records["signIns"]
    )
    world.label(TYPE, victim, "threat-intel", "password-spray", [other], required=False)
    world.indicators.append(
        _indicator(uses[0].ip, "ipv4" if "." in uses[0].ip else "ipv6", uses[0].t)
    )
    assert label_indicator_overlaps(world) == 1
    assert set(world.labels.labels[-1].records["signIns"]) == {s.id for s in uses}
