"""Render a :class:`~vigil.evaluate.scoring.Report`: an aligned table for people, JSON for tools."""

from __future__ import annotations

from typing import Any

from vigil.evaluate.scoring import Report, TypeScore

COLUMNS = ("riskEventType", "labels", "found", "detections", "FP", "precision", "recall", "F1",
           "median delay", "max delay")


def duration(seconds: float | None) -> str:
    """``-` for none, else the largest two units: ``45s``, ``12m``, ``3h05m``, ``2d04h``."""
    if seconds is None:
        return "-"
    sign = "-" if seconds < 0 else ""
    s = round(abs(seconds))
    if s < 60:
        return f"{sign}{s}s"
    if s < 3600:
        return f"{sign}{s // 60}m{s % 60:02d}s"
    if s < 86_400:
        return f"{sign}{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{sign}{s // 86_400}d{s % 86_400 // 3600:02d}h"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _row(t: TypeScore) -> list[str]:
    return [t.risk_event_type, str(t.required_labels), str(t.found), str(t.detections),
            str(t.false_positives), _num(t.precision), _num(t.recall), _num(t.f1),
            duration(t.median_delay_s), duration(t.max_delay_s)]


def table(report: Report) -> str:
    rows = [_row(t) for t in report.types] + [_row(report.overall)]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(COLUMNS)]

    def line(cells: list[str] | tuple[str, ...]) -> str:
        out = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths,
                                                                                  strict=True))]
        return "  ".join(out).rstrip()

    text = [line(COLUMNS), "  ".join("-" * w for w in widths)]
    text += [line(r) for r in rows[:-1]]
    text += ["  ".join("-" * w for w in widths), line(rows[-1]), ""]
    text.append(f"medium/high detections on benign-change principals within "
                f"{duration(report.horizon.total_seconds())}: {len(report.benign_alarms)}")
    text.append(f"detections on decoys: {len(report.decoy_hits)}")
    for kind, n in report.not_simulated.items():
        text.append(f"not simulated (not scored): {kind}: {n} detection(s)")
    missed = report.overall.missed
    if missed:
        text.append("missed labels: " + ", ".join(missed))
    return "\n".join(text)


def _type_doc(t: TypeScore) -> dict[str, Any]:
    return {"riskEventType": t.risk_event_type, "requiredLabels": t.required_labels,
            "found": t.found, "detections": t.detections, "trueDetections": t.true_detections,
            "falsePositives": t.false_positives, "precision": t.precision, "recall": t.recall,
            "f1": t.f1, "medianDelaySeconds": t.median_delay_s, "maxDelaySeconds": t.max_delay_s,
            "missedLabels": list(t.missed)}


def to_dict(report: Report) -> dict[str, Any]:
    return {
        "slackSeconds": report.slack.total_seconds(),
        "horizonSeconds": report.horizon.total_seconds(),
        "types": [_type_doc(t) for t in report.types],
        "overall": _type_doc(report.overall),
        "benignChangeAlarms": {"count": len(report.benign_alarms),
                               "detections": list(report.benign_alarms)},
        "decoyHits": {"count": len(report.decoy_hits), "detections": list(report.decoy_hits)},
        "notSimulated": report.not_simulated,
    }
