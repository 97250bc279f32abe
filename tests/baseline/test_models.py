"""Transition model and log2 histogram."""

from __future__ import annotations

import pytest

from vigil.baseline import Log2Histogram, TransitionModel


def routine(n: int) -> TransitionModel:
    m = TransitionModel()
    for i in range(n):
        m.learn_one("update application" if i % 2 else "update service principal")
    return m


def test_routine_operations_are_unsurprising_and_new_ones_are():
    m = routine(40)
    assert m.score_one("update service principal") < 1.0
    assert m.score_one("add owner to service principal") > 8.0
    assert not m.seen("add owner to service principal")


def test_surprise_of_a_new_operation_grows_with_history():
    assert routine(200).score_one("x") > routine(10).score_one("x")


def test_cap_drops_the_rarest_operation():
    m = TransitionModel(cap=2)
    for op in ("a", "a", "b", "c"):
        m.learn_one(op)
    assert set(m.ops) == {"a", "c"}
    assert all("b" not in row for row in m.tr.values())


def test_transition_state_round_trip():
    m = routine(7)
    assert TransitionModel.from_state(m.to_state()) == m
    m.halve()
    assert m.n == 4


@pytest.mark.parametrize(("amount", "bucket_upper"), [(0, 1), (1, 2), (15, 16), (16, 32)])
def test_histogram_upper_edge(amount, bucket_upper):
    h = Log2Histogram()
    h.learn_one(amount)
    assert h.upper(0.99) == bucket_upper


def test_histogram_quantile_ignores_rare_outliers():
    h = Log2Histogram()
    for _ in range(999):
        h.learn_one(10)
    h.learn_one(10_000)
    assert h.upper(0.99) == 16
    assert h.upper(1.0) == 16_384
    assert Log2Histogram.from_state(h.to_state()) == h
