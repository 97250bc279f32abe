"""Schedules: intervals with jitter, working-hours bursts, weekday/weekend seasonality."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from vigil.simulate.rand import DAY, HOUR, MINUTE, Rand, ms_of
from vigil.simulate.timeline import Diurnal, Interval, Sparse, Workday, is_weekday, local_hour

MONDAY = ms_of(datetime(2026, 10, 5, tzinfo=UTC)) - HOUR  # 00:00 local (UTC+1)


def test_local_time_helpers():
    assert is_weekday(MONDAY) and local_hour(MONDAY) == 0
    assert not is_weekday(MONDAY + 5 * DAY) and not is_weekday(MONDAY + 6 * DAY)
    assert local_hour(MONDAY + 13 * HOUR + 59 * MINUTE) == 13


def test_interval_spacing_and_jitter():
    times = Interval(60, jitter=0.1).times(MONDAY, MONDAY + 7 * DAY, Rand.derive(1, "t"))
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert 160 <= len(times) <= 175
    assert min(gaps) >= 54 * MINUTE and max(gaps) <= 66 * MINUTE
    assert len(set(gaps)) > 100  # jittered, not a fixed period


def test_working_hours_interval_stays_in_office_hours():
    times = Interval(30, working_hours_only=True).times(MONDAY, MONDAY + 7 * DAY,
                                                         Rand.derive(1, "t"))
    assert times and all(is_weekday(t) and 7 <= local_hour(t) < 19 for t in times)


def test_workday_bursts_follow_the_week():
    times = Workday(runs=8, burst=2).times(MONDAY, MONDAY + 28 * DAY, Rand.derive(2, "t"))
    weekday = sum(1 for t in times if is_weekday(t))
    assert weekday > 10 * (len(times) - weekday)
    office = sum(1 for t in times if 7 <= local_hour(t) < 19)
    assert office > 0.8 * len(times)


def test_diurnal_and_sparse():
    r = Rand.derive(3, "t")
    busy = Diurnal(4).times(MONDAY, MONDAY + 14 * DAY, r)
    day = sum(1 for t in busy if 9 <= local_hour(t) < 17)
    night = sum(1 for t in busy if local_hour(t) < 5)
    assert day > 5 * night
    rare = Sparse(2).times(MONDAY, MONDAY + 60 * DAY, r)
    assert 0 < len(rare) < 30
    assert rare == sorted(rare)
