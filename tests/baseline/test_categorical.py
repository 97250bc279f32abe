"""Categorical familiarity: surprise from stability, exact batching, eviction, fading, text."""

from __future__ import annotations

import math

import pytest

from vigil.baseline import Categorical


def learned(values: list[str], cap: int = 8, day: int = 100) -> Categorical:
    c = Categorical(cap)
    for v in values:
        c.learn_one(v, day)
    return c


def test_familiar_values_score_zero_and_new_ones_score_their_rarity():
    c = learned(["20.61.3.4"] * 3000)
    assert c.score_one("20.61.3.4") == 0.0
    assert c.score_one("45.95.3.25") == pytest.approx(math.log2(3002 / 2))


def test_volatile_feature_surprise_is_small():
    daemon = learned(["a"] * 2000)
    pipeline = learned([f"ip{i % 500}" for i in range(2000)], cap=24)
    assert daemon.surprise(16) > 9 > 1 > pipeline.surprise(16)


def test_surprise_is_capped():
    assert learned(["a"] * 100_000).surprise(12.0) == 12.0


def test_learning_k_at_once_equals_k_times():
    one_by_one = Categorical()
    for day in (1, 1, 2):
        one_by_one.learn_one("x", day)
    at_once = Categorical()
    at_once.learn_one("x", 1)
    at_once.learn_one("x", 2, count=2)
    assert one_by_one == at_once


def test_eviction_keeps_the_most_frequent_and_marks_the_feature_wide():
    c = Categorical(cap=2)
    for v, n in (("a", 5), ("b", 1), ("c", 3)):
        for _ in range(n):
            c.learn_one(v, 10)
    assert set(c.v) == {"a", "c"} and c.wide
    assert not c.familiar("b")
    assert "not among the 2 most frequent" in c.describe("IP", "b", 30)


def test_forget_drops_values_unseen_since_a_day_and_halve_rounds_up():
    c = Categorical()
    c.learn_one("old", 1)
    c.learn_one("new", 50, count=3)
    assert c.forget(10) is True
    assert set(c.v) == {"new"}
    c.halve()
    assert c.v["new"][0] == 2 and c.n == 2
    assert c.forget(100) and c.n == c.d == 0 and not c.wide


def test_describe_names_the_value_the_age_and_the_usual_values():
    c = Categorical()
    for _ in range(97):
        c.learn_one("US", 1)
    for _ in range(3):
        c.learn_one("DE", 1)
    assert c.describe("country", "NG", 41) == "country NG: never in 41 days; usual US 97%, DE 3%"


def test_state_round_trip():
    c = learned(["a", "b", "a"])
    assert Categorical.from_state(c.to_state(), c.cap) == c
