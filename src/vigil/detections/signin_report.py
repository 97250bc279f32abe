"""What a suspiciousSignins episode notes and the detection it reports (``SuspiciousSignins``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from vigil.detections.episodes import Episode
from vigil.model import ActivityType, Location, RiskDetection


def _location(first: Mapping[str, Any]) -> Location | None:
    loc = first.get("loc")
    return Location(**loc) if loc else None


def note(ep: Episode, kind: str, ident: str, text: str, limit: int = 20,
         per_feature: int = 3) -> None:
    """List one property (``ident`` is ``feature=value``) under ``kind``: the first ``limit``,
    and past them the first ``per_feature`` values of each feature, so a new country or
    credential is named after many new addresses; a value left out is counted under ``omitted``
    (once per sign-in that carried it)."""
    items = ep.s["notes"].setdefault(kind, {})
    if ident in items:
        return
    feature = ident.partition("=")[0]
    if len(items) < limit or sum(
            k.partition("=")[0] == feature for k in items) < per_feature:
        items[ident] = text
    else:
        omitted = ep.s.setdefault("omitted", {})
        omitted[kind] = int(omitted.get(kind, 0)) + 1


def report(risk_event_type: str, sp: str, state: dict[str, Any], now: datetime) -> RiskDetection:
    """The detection of the episode ``state`` of principal ``sp``, its additionalInfo
    explaining it."""
    ep = Episode(state)
    first = ep.s["first"]
    learning = ep.notes("learning")
    omitted = ep.s.get("omitted") or {}
    info: list[tuple[str, Any]] = [
        ("reason", "unfamiliar sign-in properties" + (" (learning)" if learning else "")),
        ("unfamiliarProperties", ep.notes("unfamiliar")),
    ]
    if omitted.get("unfamiliar"):
        info.append(("unfamiliarPropertiesNotListed", omitted["unfamiliar"]))
    if ep.notes("explained"):
        info.append(("explainedByChanges", ep.notes("explained")))
    if omitted.get("explained"):
        info.append(("explainedByChangesNotListed", omitted["explained"]))
    if learning:
        info.append(("learning", learning[0]))
    if ep.notes("sparse"):
        info.append(("sparseProfile", "; ".join(ep.notes("sparse"))))
    info += [("score", ep.s["score"]), ("signInCount", ep.s["n"]),
             ("firstSignIn", ep.s["at"]), ("lastSignIn", ep.s["lastAt"]),
             ("requestIds", list(ep.s["req"])), ("correlationIds", list(ep.s["corr"]))]
    return ep.detection(
        risk_event_type, sp, now, activity=ActivityType.signin, info=info,
        app_id=first.get("app"), display_name=first.get("name"), ip_address=first.get("ip"),
        location=_location(first), request_id=ep.id, correlation_id=first.get("corr"),
        mitre_technique_id="T1078.004")
