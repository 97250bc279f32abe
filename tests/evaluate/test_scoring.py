"""`vigil.evaluate.score` on hand-built labels and detections: every value asserted exactly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from evalcases import AN, LC, SS, T0, H, detection, detections, ground_truth, label

from vigil.evaluate import matches, score, table, to_dict
from vigil.evaluate.report import duration


def test_per_type_scores():
    report = score(ground_truth(), detections())
    by_type = {t.risk_event_type: t for t in report.types}
    assert list(by_type) == [SS, LC, AN]  # Graph's riskEventType order
    ss = by_type[SS]
    assert (ss.required_labels, ss.found, ss.detections, ss.true_detections) == (2, 1, 6, 3)
    assert (ss.precision, ss.recall, ss.f1) == (0.5, 0.5, 0.5)
    assert (ss.median_delay_s, ss.max_delay_s, ss.missed) == (1800.0, 1800.0, ("L2",))
    lc = by_type[LC]
    assert (lc.required_labels, lc.found, lc.detections, lc.true_detections) == (1, 1, 2, 1)
    assert (lc.precision, lc.recall) == (0.5, 1.0)
    assert lc.f1 == pytest.approx(2 / 3)
    assert (lc.median_delay_s, lc.max_delay_s) == (7200.0, 7200.0)
    an = by_type[AN]
    assert (an.required_labels, an.detections, an.precision, an.recall, an.f1) == (
        0, 1, 0.0, None, None)


def test_overall_benign_alarms_decoys_and_unscored():
    report = score(ground_truth(), detections())
    o = report.overall
    assert (o.required_labels, o.found, o.detections, o.true_detections) == (3, 2, 9, 4)
    assert o.precision == pytest.approx(4 / 9)
    assert o.recall == pytest.approx(2 / 3)
    assert o.f1 == pytest.approx(8 / 15)
    assert o.max_delay_s == 7200.0
    assert report.benign_alarms == ("d5", "d10")
    assert report.decoy_hits == ("d8",)
    assert report.not_simulated == {"adminConfirmedServicePrincipalCompromised": 1}


def test_match_window_edges_are_inclusive():
    lb = label("L", SS, "sp", T0, T0 + H)
    slack, horizon = timedelta(hours=1), timedelta(hours=48)
    assert matches(detection("a", SS, "sp", T0 - slack), lb, slack, horizon)
    assert matches(detection("b", SS, "sp", T0 + H + horizon), lb, slack, horizon)
    assert not matches(detection("c", SS, "sp", T0 - slack - timedelta(seconds=1)), lb)
    assert not matches(detection("d", SS, "sp", T0 + H + horizon + timedelta(seconds=1)), lb)
    assert not matches(detection("e", LC, "sp", T0), lb)
    assert not matches(detection("f", SS, "other", T0), lb)


def test_delay_can_be_negative_within_the_slack():
    truth = ground_truth()
    truth.labels = [label("L", SS, "sp", T0, T0)]
    report = score(truth, [detection("a", SS, "sp", T0 - timedelta(minutes=20))])
    assert report.types[0].median_delay_s == -1200.0


def test_no_detections_means_recall_and_f1_zero():
    report = score(ground_truth(), [])
    ss = next(t for t in report.types if t.risk_event_type == SS)
    assert (ss.precision, ss.recall, ss.f1, ss.median_delay_s) == (None, 0.0, 0.0, None)
    assert report.overall.missed == ("L1", "L2", "L4")


def test_narrower_horizon_drops_late_matches():
    report = score(ground_truth(), detections(), horizon=timedelta(hours=1))
    ss = next(t for t in report.types if t.risk_event_type == SS)
    assert ss.true_detections == 2  # d2 no longer matches L1
    assert report.benign_alarms == ("d5",)


def test_renderings():
    report = score(ground_truth(), detections())
    text = table(report)
    header, _rule, first, *_ = text.splitlines()
    assert header.split() == ["riskEventType", "labels", "found", "detections", "FP",
                              "precision", "recall", "F1", "median", "delay", "max", "delay"]
    assert first.split() == ["suspiciousSignins", "2", "1", "6", "3", "0.50", "0.50", "0.50",
                             "30m00s", "30m00s"]
    assert "overall                                 3      2           9   5       0.44" in text
    assert "benign-change principals within 2d00h: 2" in text
    assert "missed labels: L2" in text
    doc = to_dict(report)
    assert doc["overall"]["requiredLabels"] == 3
    assert doc["benignChangeAlarms"] == {"count": 2, "detections": ["d5", "d10"]}
    assert doc["types"][0]["missedLabels"] == ["L2"]


@pytest.mark.parametrize(("seconds", "text"), [(None, "-"), (45, "45s"), (750, "12m30s"),
                                                (11_100, "3h05m"), (187_200, "2d04h"),
                                                (-1200, "-20m00s")])
def test_duration(seconds, text):
    assert duration(seconds) == text
