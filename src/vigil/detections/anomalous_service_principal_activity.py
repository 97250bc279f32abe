"""anomalousServicePrincipalActivity: a service principal changes the directory unlike itself.

Signal
    Directory audit records whose actor (``initiatedBy.app``) is a service principal.
Features
    The operation (folded activity name) and the actor's previous operation, scored by a
    per-actor first-order transition model (:mod:`vigil.baseline.transitions`); and rules for
    dangerous operations the actor never did before to that target
    (:mod:`vigil.detections.audit_operations`): credentials or federated credentials added to
    another application or service principal (target: that object), owners added (the object),
    privileged Graph app roles granted (RoleManagement.ReadWrite.Directory,
    AppRoleAssignment.ReadWrite.All, Application.ReadWrite.All, Directory.ReadWrite.All, ...;
    the role and the principal given it), members added to directory roles (the role and the
    member), consent (the client and its privileged permissions). What an actor did is kept per
    (kind, target): doing a kind to one object never exempts another; the same (kind, target)
    again, such as a scheduled rotation of the same app's secret, is known. Only the last
    ``max_done`` (64) pairs per actor are kept (hashed, see
    :mod:`vigil.detections.actor_profiles`); a forgotten pair is "never before" again.
Levels
    A rule's level (high for credentials on another object, privileged app roles and privileged
    directory roles; medium otherwise); the model alone gives low from ``model_low`` (8 bits) and
    medium from ``model_medium`` (14 bits). The highest wins; an episode keeps its highest.
Learning
    Rules need ``min_days`` (7) of audit history in the tenant (before that, nothing; with
    ``report_learning``, low with the reason); the model also needs the actor to have ``min_ops``
    (5) operations over ``min_days``. An operation that is not flagged (or low) is learned: the
    model counts it and its (kind, target) pairs become known, also while the tenant is learning
    (a pair learned then covers that target only). One that produces medium or high is not
    learned by the model; its new pairs stay "never before" for the rest of its episode (a repeat
    adds its evidence) and are known once the episode is over, so the same change repeated later
    is reported once, not at every repetition. Platform actors (``platform_actors``, default
    ``Managed Service Identity``, which rotates managed-identity certificates) and
    ``trusted_actors`` (ids or names) are skipped entirely. Failed operations are skipped.
Two detections
    The actor gets one detection per episode (operations less than ``episode_gap_hours`` (24)
    apart); each changed service principal other than the actor gets one too, with the
    ``correlationId`` of the audit record that changed it (the actor's detection has its first
    record's); the changed object's detection names the actor's (``actorDetectionId``), the
    actor's lists the changed objects. A changed *application* is reported on its service
    principal, found by appId in the inventory; until the inventory knows it that detection waits
    (it is emitted, unchanged, when the principal appears; it is dropped once an inventory
    snapshot ingested after it lacks the principal and the audit log is ``pending_days`` past it).
Admins' verdicts
    A verdict on the actor's detection ends its episode (:mod:`vigil.detections.verdicts`): a
    later flagged operation opens a new detection instead of growing the closed one. Dismissed,
    the episode's pairs are known from then on; remediated, they stay "never before" (a
    remediation counts from its own time too: an episode whose gap ended before it is over,
    its pairs known, as when it was ingested).
Graph mapping
    ``riskEventType`` ``anomalousServicePrincipalActivity``, ``activity`` ``servicePrincipal``,
    ``detectionTimingType`` ``nearRealtime``, ``activityDateTime`` = the first anomalous record,
    ``keyIds`` = credentials added, ``additionalInfo``: reason, ``operations`` (time, activity,
    what it did, why it is anomalous), ``changedObjects``, ``auditIds``, ``correlationIds``,
    ``modelSurprise``, ``lastOperation`` (the time of its last flagged operation) (each list
    the first ``max_ids``: past them ``operationCount`` and
    ``changedObjectCount`` give the totals); the changed object's: reason, ``actorServicePrincipalId``,
    ``actorDetectionId``, ``operations`` (the first ``max_ids``; past them ``operationCount``).
    A batch sends the actor's detection and those of the objects changed in it; the others
    stand as recorded.
Known false positives
    New automation that legitimately manages other apps' credentials or role assignments: once
    per (kind, target), each new app it takes on, and each pair again once more than ``max_done``
    later pairs have pushed it out (list such automation in ``trusted_actors``); a first-party
    Microsoft actor missing from ``platform_actors``.
Example
    "Tenant Admin Automation", which only ever retagged applications, adds a client secret to a
    privileged app and grants itself RoleManagement.ReadWrite.Directory: high on the actor, high
    on the app's service principal, linked by the first record's correlationId. Had it rotated
    another app's secret in the tenant's first week, the operation would read "added credential
    … (never before for this object; 1 other object)" and be just as high.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any, ClassVar

from vigil.baseline import DAY, LearningPeriod, StateCache
from vigil.detections.actor_profiles import (
    MAX_DONE,
    VERSION,
    ActorProfile,
    add_target,
    describe_object,
    iso,
)
from vigil.detections.audit_operations import TARGETS, Finding, findings, operation
from vigil.detections.base import DetectionContext, Records
from vigil.detections.episodes import Episode, higher, level_for
from vigil.detections.params import DetectorParams
from vigil.detections.verdicts import Verdicts
from vigil.model import (
    ActivityType,
    AuditEvent,
    InfoEntry,
    RiskDetection,
    RiskLevel,
    RiskState,
    detection_id,
)
from vigil.normalize.values import canonical_guid

TENANT_KEY = "_tenant"
_by_time = attrgetter("activity_date_time")


@dataclass(frozen=True, slots=True)
class Params(DetectorParams):
    """Tunables. Learning: ``min_days`` (tenant audit history and actor), ``min_ops`` (actor),
    ``report_learning``; the model's ``model_low`` / ``model_medium`` bits; ``episode_gap_hours``;
    ``halve_days``; actors skipped (``platform_actors``, ``trusted_actors``: ids or names);
    ``pending_days`` a changed application waits for its principal; ``max_ids``; ``max_done``
    (kind, target) pairs remembered per actor."""

    min_days: float = 7.0
    min_ops: int = 5
    report_learning: bool = False
    model_low: float = 8.0
    model_medium: float = 14.0
    episode_gap_hours: float = 24.0
    halve_days: int = 30
    platform_actors: tuple[str, ...] = ("Managed Service Identity",)
    trusted_actors: tuple[str, ...] = ()
    pending_days: int = 30
    max_ids: int = 20
    max_done: int = MAX_DONE


class AnomalousServicePrincipalActivity:
    risk_event_type: ClassVar[str] = "anomalousServicePrincipalActivity"
    #: The parameter type (``params_type.from_dict(overrides)`` gives the detector's params).
    params_type: ClassVar[type[Params]] = Params

    def __init__(self, params: Params | None = None) -> None:
        self.params = p = params or Params()
        if p.max_done < 1:
            raise ValueError(f"Params.max_done: at least 1, not {p.max_done}")
        # ids as stored (GUIDs lower-case, vigil.normalize.values.canonical_guid); names as given
        self._skip = frozenset(map(canonical_guid, (*p.platform_actors, *p.trusted_actors)))
        self._period = LearningPeriod(p.min_days, p.min_ops)
        self._cache: StateCache[ActorProfile] = StateCache(
            self.risk_event_type, ActorProfile, lambda a: a.to_state())

    def detect(self, records: Records, ctx: DetectionContext) -> list[RiskDetection]:
        tenant = dict(ctx.load_state(self.risk_event_type, TENANT_KEY) or {"version": VERSION})
        pending: list[dict[str, Any]] = list(tenant.get("pending") or [])
        if not records.audit_events and not pending:
            return []
        self._cache.begin(ctx)
        events = sorted(records.audit_events, key=_by_time)
        if events:
            first = int(events[0].activity_date_time.timestamp())
            tenant["first"] = min(tenant.get("first", first), first)
        now = ctx.now()
        out = self._resolve(ctx, now, pending, events, bool(records.service_principals))
        verdicts = Verdicts(ctx, self.risk_event_type, "lastOperation")
        # episodes extended in this batch, with the objects changed in it
        changed: dict[int, tuple[str, dict[str, Any], set[str]]] = {}
        for e in events:
            actor, ini = e.actor_service_principal_id, e.initiated_by
            if actor is None or ini is None or {actor, ini.display_name} & self._skip:
                continue
            if (e.result or "success").casefold() != "success":
                continue
            key = actor.lower()
            a = self._cache.get(key)
            touched = self._one(a, e, key, ini.app_id, int(tenant["first"]), verdicts)
            if touched is not None:
                changed.setdefault(id(a.ep), (key, a.ep or {}, set()))[2].update(touched)
        for key, state, touched in sorted(changed.values(),
                                          key=lambda x: (x[0], int(x[1]["start"]))):
            out += self._detections(key, state, ctx, now, pending, touched)
        tenant["pending"] = pending
        ctx.save_state(self.risk_event_type, TENANT_KEY, tenant)
        self._cache.commit()
        return out

    def _one(self, a: ActorProfile, e: AuditEvent, actor: str, actor_app: str | None,
             tenant_first: int, verdicts: Verdicts) -> list[str] | None:
        """Score and learn one operation of actor ``a``; when it joined an episode, the keys of
        the objects it changed (else None)."""
        p = self.params
        at = e.activity_date_time
        t = int(at.timestamp())
        gap = int(p.episode_gap_hours * 3600)
        if a.ep is not None and not Episode(a.ep).continues(t, gap):
            a.close_episode(p.max_done)  # over and reported: keep the state small
        elif a.ep is not None and (verdict := verdicts.ended(actor, a.ep, t)) is not None:
            if verdict.dismissed:
                a.close_episode(p.max_done)  # benign: what it flagged is known from now on
            elif verdict.teaches(t):
                a.ep = None  # remediated: what it flagged stays unknown
            # else remediated after t: the ingest had the episode open here (a replay that
            # forgot its pairs now would differ where the ingest closed it by its gap, known)
        op = operation(e)
        found = findings(e, actor, (actor_app or "").lower() or None)
        new = [f for f in found if not a.knows(f)]
        covered = (t - tenant_first) / DAY
        tenant_learning = (f"learning: the audit log covers {covered:.1f} of {p.min_days:g} days"
                           if covered < p.min_days else None)
        learning = a.first is None or self._period.reason(a.first, t, a.n) is not None
        bits = 0.0 if learning else a.model.score_one(op)
        level = level_for(bits, p.model_low, p.model_medium, float("inf"))
        for f in new:
            level = higher(level, f.level)
        if tenant_learning is not None:
            level = "low" if p.report_learning and level in ("medium", "high") else None
        if level in (None, "low"):
            a.learn(op, found, t, p.halve_days, p.max_done)  # medium and high: protected
        if level is None:
            return None
        ep = Episode(a.ep) if a.ep else None
        if ep is None:
            ini = e.initiated_by
            ep = Episode.open(e.id, at, t, {"corr": e.correlation_id,
                                            "name": ini.display_name if ini else None,
                                            "app": actor_app, "ip": ini.ip_address if ini else None})
            ep.s["targets"] = {}
            a.ep = ep.s
        ep.add(at, t, bits, level, correlation_id=e.correlation_id,
               key_ids=[k for f in new for k in f.key_ids], max_ids=p.max_ids)
        ep.note("audit", e.id, e.id, p.max_ids)
        why = "; ".join(_never_before(f, a.others(f.kind)) for f in new) or "unusual operation"
        a.flag(new, p.max_done)
        ep.note("ops", e.id, f"{iso(at)} {e.activity_display_name.strip()}: {why}; "
                             f"model surprise {bits:.1f} bits", p.max_ids)
        if tenant_learning is not None:
            ep.note("learning", "learning", tenant_learning)
        return [k for f in new for k in add_target(ep, f, e, at, actor, level, p.max_ids)]

    def _detections(self, actor: str, state: dict[str, Any], ctx: DetectionContext,
                    now: datetime, pending: list[dict[str, Any]],
                    touched: set[str]) -> list[RiskDetection]:
        """The actor's detection for episode ``state`` and those of the objects it changed in
        this batch (``touched``; the others' stay as they were recorded: an actor changing
        thousands of objects is not re-sent whole with every batch)."""
        ep = Episode(state)
        first = ep.s["first"]
        out = []
        for key in sorted(touched):
            tg = ep.s["targets"][key]
            sp = tg["sp"] or self._lookup(ctx, tg["app"])
            if sp is None:
                pending[:] = [x for x in pending if (x["ep"], x["key"]) != (ep.id, key)]
                pending.append({"actor": actor, "name": first.get("name"), "ep": ep.id,
                                "key": key, "target": tg})
            elif sp != actor:
                out.append(self._target_detection(actor, first.get("name"), ep.id, tg, sp, now))
        targets = sorted(ep.s["targets"].items())
        limit = self.params.max_ids
        info: list[tuple[str, Any]] = [
            ("reason", "anomalous directory changes by this service principal"),
            ("operations", ep.notes("ops")),
        ]
        if int(ep.s["n"]) > len(ep.notes("ops")):
            info.append(("operationCount", int(ep.s["n"])))
        info.append(("changedObjects", [describe_object(tg) for _, tg in targets[:limit]]))
        if len(targets) > limit:
            info.append(("changedObjectCount", len(targets)))
        info += [
            ("auditIds", ep.notes("audit")),
            ("correlationIds", list(ep.s["corr"])),
            ("modelSurprise", ep.s["score"]),
            ("lastOperation", ep.s["lastAt"]),
        ]
        if ep.notes("learning"):
            info.append(("learning", ep.notes("learning")[0]))
        actor_detection = ep.detection(
            self.risk_event_type, actor, now, activity=ActivityType.servicePrincipal, info=info,
            app_id=first.get("app"), display_name=first.get("name"), ip_address=first.get("ip"),
            correlation_id=first.get("corr"), mitre_technique_id="T1098")
        return [actor_detection, *out]

    def _target_detection(self, actor: str, actor_name: str | None, episode_id: str,
                          tg: Mapping[str, Any], sp: str, now: datetime) -> RiskDetection:
        """The changed object's detection: evidence = the first record that changed it."""
        info = (InfoEntry("reason", f"changed by service principal {actor_name} ({actor}), "
                                    "whose activity is anomalous"),
                InfoEntry("actorServicePrincipalId", actor),
                InfoEntry("actorDetectionId",
                          detection_id(self.risk_event_type, actor, episode_id)),
                InfoEntry("operations", list(tg["ops"])),
                *([InfoEntry("operationCount", tg["opCount"])]
                  if tg.get("opCount", 0) > len(tg["ops"]) else []))
        return RiskDetection(
            id=detection_id(self.risk_event_type, sp, tg["id"]),
            service_principal_id=sp,
            risk_event_type=self.risk_event_type,
            risk_level=RiskLevel(tg["level"]),
            risk_state=RiskState.atRisk,
            activity_date_time=datetime.fromisoformat(tg["at"]),
            detected_date_time=now,
            last_updated_date_time=now,
            activity=ActivityType.servicePrincipal,
            app_id=tg["app"],
            service_principal_display_name=tg["name"],
            key_ids=tuple(tg["keys"]),
            correlation_id=tg["corr"],
            mitre_technique_id="T1098.001" if tg["keys"] else "T1098",
            additional_info=info,
        )

    @staticmethod
    def _lookup(ctx: DetectionContext, app_id: str | None) -> str | None:
        if not app_id:
            return None
        sp = ctx.service_principal_by_app_id(app_id)
        return sp.id.lower() if sp is not None else None

    def _resolve(self, ctx: DetectionContext, now: datetime, pending: list[dict[str, Any]],
                 events: list[AuditEvent], snapshot: bool) -> list[RiskDetection]:
        """Emit the waiting detections of changed applications whose principal is now known.

        One waits until an inventory snapshot that came after it still lacks the principal
        (``snapshot``: this batch has one) and the audit log is ``pending_days`` past it: an
        audit log read before the inventory, as a folder ingest does, may run on for months."""
        out = []
        last = events[-1].activity_date_time if events else None
        for item in list(pending):
            tg = item["target"]
            sp = self._lookup(ctx, tg["app"])
            expired = last is not None and bool(item.get("snapshot")) and (
                last - datetime.fromisoformat(tg["at"])).days > self.params.pending_days
            if sp is None and snapshot:
                item["snapshot"] = True
            if sp is not None or expired:
                pending.remove(item)
            if sp is not None and sp != item["actor"]:
                out.append(self._target_detection(item["actor"], item["name"], item["ep"], tg,
                                                  sp, now))
        return out


def _never_before(f: Finding, others: int) -> str:
    """``f``'s text with why it counts: the actor never did it to this target before."""
    if not others:
        return f"{f.text} (never before)"
    scope, one, several = TARGETS[f.kind]
    return f"{f.text} (never before for {scope}; {others} other {one if others == 1 else several})"
