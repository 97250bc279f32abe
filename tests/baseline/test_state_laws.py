"""Baseline laws: from_state(to_state(s)) == s, through JSON, for arbitrary histories."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from vigil.baseline import (
    Categorical,
    Fading,
    FeatureProfile,
    Log2Histogram,
    StateVersionError,
    TransitionModel,
    upgrade,
)

values = st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d", "e"]),
                            st.integers(0, 400)), max_size=60)


def json_trip(state):
    return orjson.loads(orjson.dumps(state))


@given(values)
def test_categorical_round_trip(history):
    c = Categorical(cap=3)
    for v, day in history:
        c.learn_one(v, day)
    assert Categorical.from_state(json_trip(c.to_state()), 3) == c


@given(values)
def test_profile_round_trip(history):
    caps = {"x": 3}
    p = FeatureProfile(caps)
    for v, day in sorted(history, key=lambda h: h[1]):
        p.maintain(day * 86_400, Fading())
        p.learn_one({"x": v}, day * 86_400)
    assert FeatureProfile.from_state(json_trip(p.to_state()), caps) == p


@given(st.lists(st.sampled_from(["add", "update", "delete", "assign"]), max_size=40))
def test_transition_round_trip(ops):
    m = TransitionModel(cap=3)
    for op in ops:
        m.learn_one(op)
    assert TransitionModel.from_state(json_trip(m.to_state()), cap=3) == m


@given(st.lists(st.integers(0, 10**12), max_size=40))
def test_histogram_round_trip(amounts):
    h = Log2Histogram()
    for a in amounts:
        h.learn_one(a)
    assert Log2Histogram.from_state(json_trip(h.to_state())) == h


def test_upgrade_applies_each_step_and_refuses_the_unknown():
    steps = {1: lambda s: {**s, "b": s["a"] * 2}, 2: lambda s: {**s, "c": 1}}
    assert upgrade({"version": 1, "a": 2}, "x", 3, steps) == {"version": 3, "a": 2, "b": 4, "c": 1}
    for bad in ({"version": 4}, {}, {"version": "1"}):
        try:
            upgrade(bad, "x", 3, steps)
        except StateVersionError:
            continue
        raise AssertionError(f"{bad} should be refused")
