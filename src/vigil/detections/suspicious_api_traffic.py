"""suspiciousAPITraffic: a service principal's Microsoft Graph traffic looks like recon or theft.

Signal
    App-only requests in ``MicrosoftGraphActivityLogs`` (rows with a ``ServicePrincipalId``),
    per principal and clock hour (:mod:`vigil.detections.traffic_windows`).
Features
    Directory enumeration (many directory collections listed in an hour, most never listed
    before, with paging; or, past learning, spread over hours: 5 collections first listed
    within 24 hours or 8 within a week, each hour too quiet to flag on its own), request-rate and
    response-bytes spikes against the principal's p99 hour, a burst of 403s, reconnaissance
    tool user agents (AzureHound, BloodHound, ROADtools, GraphRunner, TokenTactics, MicroBurst,
    PowerZure, Stormspotter, AADInternals, GraphSpy, o365recon, TeamFiltration, Graphpython:
    :data:`vigil.detections.graph_requests.RECON_TOOLS`) and first use of sensitive endpoints
    (role management, directory roles, conditional access, policies, audit logs,
    authentication methods, credential and app-role writes).
Levels
    Points per signal (recon 3, enumeration 3-4, request or byte spike 2-3, 403 burst 2, each new
    sensitive endpoint 1, at most 2): 1-2 low, 3-4 medium, 5 or more high. An episode keeps its
    highest level.
Learning
    Until the principal has ``min_days`` (7) of Graph traffic and ``min_requests`` (50) requests
    only two rules run. A reconnaissance user agent is reported low with the learning reason
    (``report_learning``, on by default; off: nothing). Enumeration by absolute floors: an hour
    listing ≥ ``learning_enum_min`` (5) directory collections, ≥ ``enum_new`` (3) never listed
    before, and a privileged one among them, new or not (directory roles, role management,
    consent grants, policies, conditional access, app role assignments) is medium (high with
    paging and a 403 burst, or with a recon tool), whatever ``report_learning`` says; its signal
    reads "while learning" and the detection carries the learning reason. An hour that reached
    medium or high is not learned. Histograms halve every ``halve_days`` (30).
Episodes
    Flagged hours less than ``episode_gap_hours`` (3) apart form one episode and one detection
    (:mod:`vigil.detections.episodes`); its id and ``activityDateTime`` come from the first
    request that made an hour suspicious. An admin's verdict on the detection (dismissed or
    remediated) ends the episode: an hour flagged after it opens a new detection
    (:mod:`vigil.detections.verdicts`). A flagged hour is held (its totals, endpoints and
    collections; the last ``HELD_MAX``) until then: dismissed, it is learned as the next hour
    starts, so a sanctioned weekly export is not flagged again (a reconnaissance user agent
    always is); remediated, it is dropped.
Graph mapping
    ``riskEventType`` ``suspiciousAPITraffic``, ``activity`` ``servicePrincipal``,
    ``detectionTimingType`` ``nearRealtime``; ``ipAddress`` and ``requestId`` of that first
    request; ``additionalInfo``: reason, ``signals`` (per hour, with the baseline) and ``hours``
    (each finished hour's totals) of the first ``max_hours`` (24) flagged hours, the count of the
    later ones in ``flaggedHoursNotListed``, request ids, first request time and ``lastRequest``
    (the request that last raised the level or added a signal).
Known false positives
    A new report or sync job that legitimately reads the whole directory once, a bulk export
    after an admin's request, a security team's sanctioned AzureHound run (dismiss it); a new
    governance or access-review app whose first runs list roles with four other collections
    (medium while learning, until dismissed). A first-day HR sync (users and groups, paging) is
    below the learning floor. A release that starts using 5 new directory collections within a
    day, or 8 within a week (slow enumeration); its flagged hours are not learned, so while it
    keeps listing them the episode grows hourly until it is dismissed (which teaches them).
Example
    A sync app that calls ``/users/delta`` a few times an hour makes 700 requests from a VPS with
    ``azurehound/v2.2.1``, listing users, groups, devices, servicePrincipals, applications and
    directoryRoles with ``$skiptoken`` paging and getting 53 403s: recon + enumeration +
    requests + forbidden = high. An app first seen yesterday lists 14 directory collections in
    42 minutes with ``python-requests``, directoryRoles and roleManagement among them, 70 of its
    420 requests refused: learning enumeration + forbidden = high.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Any, ClassVar

from vigil.baseline import LearningPeriod, StateCache
from vigil.detections.base import DetectionContext, Records
from vigil.detections.episodes import RANK, Episode
from vigil.detections.graph_requests import endpoint, pages, recon_tool
from vigil.detections.params import DetectorParams
from vigil.detections.traffic_windows import (
    Thresholds,
    TrafficBaseline,
    level_of,
    limits,
    new_window,
    signals,
)
from vigil.detections.verdicts import Verdicts
from vigil.model import ActivityType, GraphActivity, RiskDetection

_by_time = attrgetter("time")
HELD_MAX = 3  # flagged hours kept per principal until an admin's verdict


@dataclass(frozen=True, slots=True)
class Params(DetectorParams):
    """Tunables. Learning: ``min_days``, ``min_requests``, ``report_learning``;
    ``episode_gap_hours``; ``halve_days``; the hour's limits (``*_floor``, ``*_factor`` × the
    baseline's p99 hour) and enumeration (``enum_min`` collections, ``enum_new`` of them new;
    while learning ``learning_enum_min`` with a privileged one; spread over hours,
    ``enum_span_new`` first listed within ``enum_span_hours``, or ``enum_long_new`` within
    ``enum_long_hours``; see
    :mod:`vigil.detections.traffic_windows`); ``max_ids``; ``max_hours`` flagged hours
    explained."""

    min_days: float = 7.0
    min_requests: int = 50
    report_learning: bool = True
    episode_gap_hours: float = 3.0
    halve_days: int = 30
    req_floor: int = 100
    req_factor: float = 5.0
    bytes_floor: int = 100_000_000
    bytes_factor: float = 10.0
    f403_floor: int = 10
    f403_factor: float = 5.0
    enum_min: int = 4
    enum_new: int = 3
    learning_enum_min: int = 5
    enum_span_new: int = 5
    enum_span_hours: int = 24
    enum_long_new: int = 8
    enum_long_hours: int = 168
    max_ids: int = 20
    max_hours: int = 24


_LAST = (datetime.max.replace(tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(seconds=1)


def _hour_iso(hour: int) -> str:
    """The hour's start; a request at 9999-12-31T23:59:59.99999x has a float timestamp that
    rounds up to year 10000: such an hour is named by the last one a datetime holds."""
    return datetime.fromtimestamp(min(hour * 3600, _LAST), UTC).strftime("%Y-%m-%dT%H:00Z")


class SuspiciousAPITraffic:
    risk_event_type: ClassVar[str] = "suspiciousAPITraffic"
    #: The parameter type (``params_type.from_dict(overrides)`` gives the detector's params).
    params_type: ClassVar[type[Params]] = Params

    def __init__(self, params: Params | None = None) -> None:
        self.params = p = params or Params()
        self._th = Thresholds(p.req_floor, p.req_factor, p.bytes_floor, p.bytes_factor,
                              p.f403_floor, p.f403_factor, p.enum_min, p.enum_new,
                              p.learning_enum_min, p.enum_span_new, p.enum_span_hours,
                              p.enum_long_new, p.enum_long_hours)
        self._period = LearningPeriod(p.min_days, p.min_requests)
        self._gap = int(p.episode_gap_hours * 3600)
        self._cache: StateCache[TrafficBaseline] = StateCache(
            self.risk_event_type, TrafficBaseline, lambda b: b.to_state())

    def detect(self, records: Records, ctx: DetectionContext) -> list[RiskDetection]:
        if not records.graph_activities:
            return []
        self._cache.begin(ctx)
        touched: dict[str, TrafficBaseline] = {}
        changed: dict[int, tuple[str, dict[str, Any]]] = {}  # episodes extended in this batch
        now = ctx.now()
        verdicts = Verdicts(ctx, self.risk_event_type, "lastRequest")
        for g in sorted(records.graph_activities, key=_by_time):
            sp = g.service_principal_id
            if not sp:
                continue  # delegated (user) traffic is out of scope
            b = touched.get(sp)
            if b is None:
                b = touched[sp] = self._cache.get(sp)
            self._one(b, g, sp, changed, verdicts)
        order = sorted(changed.values(), key=lambda x: (x[0], int(x[1]["start"]), x[1]["id"]))
        out = [self._detection(sp, state, now) for sp, state in order]
        self._cache.commit()
        return out

    def _one(self, b: TrafficBaseline, g: GraphActivity, sp: str,
             changed: dict[int, tuple[str, dict[str, Any]]], verdicts: Verdicts) -> None:
        """Count one request; episodes it extends go to ``changed``."""
        t = int(g.time.timestamp())
        hour = t // 3600
        b.seen(t)
        w = b.win
        if w is None or w["h"] < hour:
            if w is not None and self._close(b, w, sp, t, verdicts):
                changed[id(b.ep)] = (sp, b.ep)
            if b.held:
                self._settle(b, sp, t, verdicts)
            if b.ep is not None and not Episode(b.ep).continues(t, self._gap):
                b.ep = None  # over and reported: keep the state small
            w = b.win = new_window(hour)
        th = self._th
        w["req"] += 1
        w["bytes"] += g.response_size_bytes or 0
        if g.response_status_code == 403:
            w["f403"] += 1
        crossed = False
        if w["req"] >= th.req_floor or w["bytes"] >= th.bytes_floor or w["f403"] >= th.f403_floor:
            lim = limits(w, b, th)
            # 403s: once they reach their limit *and* 5 % of the hour's requests, which may come
            # well after the limit (a refused tail after hundreds of successful requests)
            crossed = w["req"] in (lim[0], 4 * lim[0]) or (
                g.response_status_code == 403 and w["f403"] >= lim[2]
                and w["f403"] >= 0.05 * w["req"] and "forbidden" not in (w.get("sig") or ()))
            step = 2 if w["bytes"] >= 10 * lim[1] else 1 if w["bytes"] >= lim[1] else 0
            if step > w.get("b", 0):
                w["b"], crossed = step, True
        ep = endpoint(g.request_uri, g.request_method)
        if ep.key not in b.eps_set and ep.key not in w["new"]:
            if len(w["new"]) < th.eps_cap:
                w["new"].append(ep.key)
            if ep.sensitive and len(w["sens"]) < 10:
                w["sens"].append(ep.template)
                crossed = True
        if ep.privileged:
            priv = w.setdefault("priv", [])  # a window from before privileged listings were kept
            if ep.template not in priv and len(priv) < 10:
                priv.append(ep.template)
                crossed = True
        if ep.lists is not None:
            if ep.lists not in w["dirs"]:
                w["dirs"].append(ep.lists)
                if ep.lists not in b.dirs:
                    w["novel"] += 1
                    crossed = True
                crossed = crossed or w["novel"] >= th.enum_new
            if pages(g.request_uri):
                w["pages"] += 1
                crossed = crossed or w["pages"] == 3
        if w["recon"] is None:
            tool = recon_tool(g.user_agent)
            if tool is not None:
                w["recon"], w["ua"], crossed = tool, g.user_agent, True
        if w["level"] is not None and b.ep is not None:
            b.ep["last"] = max(int(b.ep["last"]), t)
        if crossed and self._evaluate(b, w, g, t, sp, verdicts):
            changed[id(b.ep)] = (sp, b.ep)

    def _evaluate(self, b: TrafficBaseline, w: dict[str, Any], g: GraphActivity, t: int,
                  sp: str, verdicts: Verdicts) -> bool:
        learning = b.learning(t, self._period)
        found = signals(w, b.dirs, self._th, learning is not None, b.fresh)
        floor = "enumeration" in found  # while learning: the absolute-floor rule fired
        if learning is not None and not floor and not self.params.report_learning:
            return False
        level = level_of(sum(points for points, _ in found.values()))
        if learning is not None and level is not None and not floor:
            level = "low"
        if level is None:
            return False
        texts = {name: text for name, (_, text) in found.items()}
        if RANK[level] < RANK.get(w["level"] or "", 0):
            level = w["level"]
        if level == w["level"] and texts == w.get("sig"):
            return False
        w["level"], w["sig"] = level, texts
        ep = Episode(b.ep) if b.ep else None
        if ep is None or not ep.continues(t, self._gap) or verdicts.ended(sp, ep.s, t):
            ep = Episode.open(g.id, g.time, t, {"ip": g.ip_address, "app": g.app_id})
            b.ep = ep.s
        ep.add(g.time, t, 0.0, level, request_id=g.id, max_ids=self.params.max_ids)
        hour = _hour_iso(w["h"])
        if self._listed(ep, int(w["h"])):
            for name, text in texts.items():
                ep.s["notes"].setdefault("signals", {})[f"{hour} {name}"] = f"{hour} {name}: {text}"
        if learning is not None:
            ep.note("learning", "learning", learning)
        return True

    def _listed(self, ep: Episode, hour: int) -> bool:
        """Whether the episode explains flagged ``hour``: its first ``max_hours`` are, the later
        ones are counted (``hl``: the hours listed, ``ho``: how many not, ``hx``: the last)."""
        listed = ep.s.setdefault("hl", [])
        if hour in listed:
            return True
        if len(listed) < self.params.max_hours:
            listed.append(hour)
            return True
        if ep.s.get("hx") != hour:
            ep.s["hx"], ep.s["ho"] = hour, int(ep.s.get("ho", 0)) + 1
        return False

    def _close(self, b: TrafficBaseline, w: Mapping[str, Any], sp: str, t: int,
               verdicts: Verdicts) -> bool:
        """Finish an hour as a request at ``t`` starts the next: learn it unless medium or high
        (then hold it for an admin's verdict); True when it belonged to the episode and adds
        to its detection. A detection answered before ``t`` keeps the evidence it was answered
        on (rewritten, its ``lastUpdatedDateTime`` would move past the verdict's time)."""
        if w["level"] not in ("medium", "high"):
            # past learning when the hour began: one in which learning ends holds listings made
            # while learning, and they are no fresh collections
            settled = self._period.learned(b.first, int(w["h"]) * 3600, b.n)
            b.learn_window(w, self._th, self.params.halve_days, settled)
        elif b.ep is not None:
            kept = {k: w[k] for k in ("h", "req", "bytes", "f403", "new", "dirs")}
            b.held = [*b.held, [b.ep["id"], kept]][-HELD_MAX:]
        if w["level"] is None or b.ep is None:
            return False
        episode = str(b.ep["id"])
        verdict = verdicts.of(sp, [episode]).get(episode)
        if verdict is not None and verdict.teaches(t):
            return False
        listed = b.ep.get("hl")
        if listed is None or int(w["h"]) in listed:  # no "hl": an episode older than the cap
            req = f"{w['req']} request" + ("" if w["req"] == 1 else "s")
            totals = f"{req}, {w['f403']} refused (403), {w['bytes']:,} bytes"
            notes = b.ep["notes"].setdefault("hours", {})
            notes[_hour_iso(w["h"])] = f"{_hour_iso(w['h'])}: {totals}"
        return True

    def _settle(self, b: TrafficBaseline, sp: str, t: int, verdicts: Verdicts) -> None:
        """Apply admins' verdicts to the held hours as a new hour starts at ``t``: a dismissed
        episode's hours are learned (not as fresh collections), a remediated one's dropped; held
        hours older than ``halve_days`` go."""
        found = verdicts.of(sp, {str(e[0]) for e in b.held})
        oldest = t - self.params.halve_days * 86_400
        keep = []
        for episode, w in b.held:
            verdict = found.get(str(episode))
            if verdict is None or not verdict.teaches(t):
                if (int(w["h"]) + 1) * 3600 >= oldest:
                    keep.append([episode, w])
            elif verdict.dismissed:
                b.learn_window(w, self._th, self.params.halve_days, settled=False)
        b.held = keep

    def _detection(self, sp: str, state: dict[str, Any], now: datetime) -> RiskDetection:
        ep = Episode(state)
        first = ep.s["first"]
        learning = ep.notes("learning")
        info: list[tuple[str, Any]] = [
            ("reason", "suspicious Microsoft Graph traffic" + (" (learning)" if learning else "")),
            ("signals", ep.notes("signals")),
        ]
        if ep.notes("hours"):
            info.append(("hours", ep.notes("hours")))
        if ep.s.get("ho"):
            info.append(("flaggedHoursNotListed", ep.s["ho"]))
        if learning:
            info.append(("learning", learning[0]))
        info += [("firstRequest", ep.s["at"]), ("lastRequest", ep.s["lastAt"]),
                 ("requestIds", list(ep.s["req"]))]
        enumeration = any(" enumeration" in n or " recon" in n for n in ep.notes("signals"))
        return ep.detection(
            self.risk_event_type, sp, now, activity=ActivityType.servicePrincipal, info=info,
            app_id=first.get("app"), ip_address=first.get("ip"), request_id=ep.id,
            mitre_technique_id="T1087.004" if enumeration else "T1530")
