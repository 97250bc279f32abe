"""The cold-start scenarios and their benign counterparts: a rarely used app's stolen secret, a
new app enumerating the directory while it learns; a rarely used app's ordinary changes, a new
sync app's first full read."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from vigil.detections.graph_requests import endpoint, pages
from vigil.simulate import SimConfig, build
from vigil.simulate.events import AuditRecord, GraphCall, SignInEvent
from vigil.simulate.rand import DAY, HOUR
from vigil.simulate.tenant import Principal
from vigil.simulate.world import World

COLD = ("stolen-secret/rarely-used-app", "graph-recon/new-app-enumeration")


@pytest.fixture(scope="module")
def world() -> World:
    return build(SimConfig(seed=3, days=45, sps=60, scenarios=COLD))


def _label(world: World, variant: str):
    (lb,) = [x for x in world.labels.labels if x.variant == variant and x.required]
    return lb


def _signins(world: World, p: Principal) -> list[SignInEvent]:
    return sorted((s for s in world.activity.signins if s.sp is p), key=lambda s: s.t)


def _audited(world: World, p: Principal) -> list[AuditRecord]:
    ids = {p.id, p.app_object_id}
    return [a for a in world.activity.audits
            if any(t["id"] in ids for t in a.doc["targetResources"])]


def _collections(calls: list[GraphCall]) -> set[str]:
    return {e.lists for e in (endpoint(c.uri) for c in calls) if e.lists is not None}


def test_rarely_used_app_is_scored_by_the_sparse_route_then_used_from_abroad(world):
    lb = _label(world, "rarely-used-app")
    p = world.tenant.by_id[lb.service_principal_id]
    assert p.archetype == "occasional"
    attack_ids = set(lb.records["signIns"])
    mine = _signins(world, p)
    attack = [s for s in mine if s.id in attack_ids]
    before = [s for s in mine if s.error == 0 and s.t < attack[0].t and s.id not in attack_ids]
    assert 5 <= len(before) < 30  # never reaches the dense route
    assert attack[0].t - before[0].t >= 21 * DAY
    home = before[0]
    assert {(s.network.asn, s.network.country, s.user_agent) for s in before} == {
        (home.network.asn, home.network.country, home.user_agent)}
    assert home.network.hosting and (home.user_agent or "").startswith("azsdk-")
    for s in attack:
        assert s.network.asn != home.network.asn and s.network.country != home.network.country
        assert (s.user_agent or "").split("/")[0] in ("python-requests", "curl")
        assert s.cred is home.cred and s.error == 0
    assert _audited(world, p) == []  # nothing explains it


def test_new_app_enumerates_the_directory_while_it_learns(world):
    lb = _label(world, "new-app-enumeration")
    p = world.tenant.by_id[lb.service_principal_id]
    lo, hi = world.cfg.attack_window
    assert lo <= p.created <= hi and p.is_home_app
    ids = set(lb.records["graphActivities"])
    calls = [c for c in world.activity.graph_calls if c.id in ids]
    assert calls[-1].t - p.created < 7 * DAY  # still learning (7 days of traffic)
    hour = calls[0].t // HOUR
    listed = [c for c in calls if c.t // HOUR == hour]
    assert len(_collections(listed)) >= 6
    assert any(endpoint(c.uri).privileged for c in listed if c.status == 200)
    assert sum(pages(c.uri) for c in listed) >= 3
    assert sum(c.status == 403 for c in listed) >= 10
    assert {c.user_agent for c in calls} <= {"python-requests/2.32.3", calls[0].user_agent}
    kinds = Counter(a.doc["activityDisplayName"] for a in _audited(world, p))
    assert kinds["Add application"] == kinds["Add service principal"] == 1


def test_a_new_sync_apps_first_read_lists_two_or_three_collections(world):
    changes = [c for c in world.labels.benign_changes if c.kind == "newApplication"]
    syncs = {d.service_principal_id: d for d in world.labels.decoys if d.kind == "firstDaySync"}
    assert changes and {c.service_principal_id for c in changes} == set(syncs)
    for c in changes:
        d = syncs[c.service_principal_id]
        ids = set(d.records["graphActivities"])
        calls = [g for g in world.activity.graph_calls if g.id in ids]
        assert 2 <= len(_collections(calls)) <= 3
        assert not any(endpoint(g.uri).privileged for g in calls)
        assert any(pages(g.uri) for g in calls)
        assert d.time - c.time < timedelta(hours=4)


def test_a_rarely_used_apps_ordinary_changes_keep_network_country_and_client(world):
    decoys = [d for d in world.labels.decoys if d.kind == "sparseProfileVariation"]
    assert len(decoys) == 3
    (sp,) = {d.service_principal_id for d in decoys}
    p = world.tenant.by_id[sp]
    assert p.archetype == "occasional"
    mine = [s for s in _signins(world, p) if s.error == 0]
    first = mine[0]
    for s in mine:
        assert (s.network.asn, s.network.country) == (first.network.asn, first.network.country)
        assert (s.user_agent or "").split("/")[0] == (first.user_agent or "").split("/")[0]
    runs = {s.id: s for s in mine}
    changed = [runs[d.records["signIns"][0]] for d in decoys]
    assert changed[0].t - first.t >= 21 * DAY  # scored by the sparse route
    assert changed[0].user_agent != first.user_agent  # SDK version bump
    assert changed[1].ip != first.ip  # another address, same network
    assert changed[2].resource.key != first.resource.key  # a new resource
    assert _audited(world, p) == []


def test_a_short_timeline_has_no_rarely_used_app_label():
    w = build(SimConfig(seed=3, days=20, sps=40, scenarios=COLD))
    assert {lb.variant for lb in w.labels.labels if lb.required} == {"new-app-enumeration"}
    assert not [d for d in w.labels.decoys if d.kind == "sparseProfileVariation"]
