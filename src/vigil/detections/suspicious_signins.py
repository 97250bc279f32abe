"""suspiciousSignins: a workload signs in with properties it has not used before.

Signal
    A successful service-principal or managed-identity sign-in whose properties are unfamiliar
    for this principal, weighted by how stable each property has been for it.
Features
    IP, address block (/24 or /48), ASN, country, network type (hosting → non-hosting and back),
    resource, user agent family and family/version, credential type and credential keyId
    (:mod:`vigil.detections.signin_features`).
Scoring
    Each unfamiliar feature adds ``weight × log2((n + 2) / (d + 1))`` bits, where ``n`` is how
    many sign-ins carried the feature and ``d`` how many of them brought a new value
    (:mod:`vigil.baseline.categorical`): a daemon with one IP for 30 days changing IP weighs far
    more than a pipeline with 500 IPs. Weights (``Params.weights``): IP 0.5, address block 0.8,
    ASN 1.0, country 1.2, network type 1.0, resource 0.6, user agent 1.0, user agent version 0.3,
    credential type 1.0, credential 0.8; at most ``max_bits`` (12) bits per feature.
Levels
    score ≥ 8 low, ≥ 16 medium, ≥ 28 high (``Params.low`` / ``medium`` / ``high``). The episode's
    level is the highest of its sign-ins.
Learning
    Until the principal's profile spans ``min_days`` (7) and holds ``min_signins`` (30)
    successful sign-ins, or (sparse route, for a principal used a few times a week) spans
    ``sparse_days`` (21) and holds ``sparse_min_signins`` (5), nothing is reported
    (``report_learning=True``: a sign-in that would be medium or high is reported low, with the
    learning reason in ``additionalInfo``). A sparse profile's few sign-ins make each unfamiliar
    feature weigh little (10 identical sign-ins: 2.6 bits; a new network, country and client
    together ~15 bits, low), so while it holds fewer than ``min_signins`` a sign-in whose
    ``sparse_departure`` features (ASN, country and user agent family) are all unfamiliar and
    unexplained is at least medium; ``additionalInfo.sparseProfile`` says so. Sign-ins that
    score medium or high are not learned (protected learning); the others are. Failed sign-ins are
    neither learned nor scored. Values unseen for 60 days are forgotten (so an explanation says
    "never in N days" for at most those 60 days); counts halve every 30.
Change-aware
    An authorized change in the audit log opens a 72-hour re-learning window for the properties it
    explains (credential added → keyId and credential type; federated credential added → those
    plus network and user agent; app updated → network, user agent, resource; permission granted
    → resource; see :mod:`vigil.detections.change_windows`). Explained properties are learned,
    not scored, and listed under ``explainedByChanges``.
Admins' verdicts
    A sign-in left unlearned is held (its values, at most ``HELD_MAX`` per principal,
    :mod:`vigil.detections.held_signins`) until an admin answers its detection
    (:mod:`vigil.detections.verdicts`). Dismissed: the held values are learned before the
    principal's next sign-in past the detection's stored evidence and past the verdict is scored,
    so a benign job flagged once does not raise risk every week. Remediated: dropped, never
    learned. Either verdict ends the episode: a later suspicious sign-in opens a new detection
    instead of growing the closed one. Unanswered, held values go after ``forget_days``; meanwhile
    every sign-in of the principal is scored in full (no familiar fast path), so a verdict applies
    at the same sign-in in an ingest and in a rebuild.
Episodes
    One detection per principal per episode (:mod:`vigil.detections.episodes`): suspicious
    sign-ins less than ``episode_gap_hours`` (12) apart share the detection whose id comes from
    the first one; ``activityDateTime`` is the first suspicious sign-in.
Graph mapping
    ``riskEventType`` ``suspiciousSignins``, ``activity`` ``signin``, ``detectionTimingType``
    ``nearRealtime``; ``ipAddress``, ``location``, ``requestId`` (the sign-in id) and
    ``correlationId`` of the first suspicious sign-in; ``keyIds`` used; ``additionalInfo``: reason,
    ``unfamiliarProperties`` (e.g. ``"country NG: never in 41 days; usual US 100%"``; the first
    20 values and the first 3 of each feature, the rest counted per sign-in in
    ``unfamiliarPropertiesNotListed``), score,
    ``signInCount``, first and last sign-in, ``requestIds``, ``correlationIds``.
Known false positives
    Unannounced migrations or SDK changes (no audit record explains them), new pipeline runners
    in an unseen region, a principal that is rarely used but just past its learning period; a
    rarely used app run once from abroad with another tool (e.g. Cloud Shell and the Azure CLI
    instead of an office PowerShell script) is medium by the sparse rule.
Ordering
    Results equal ``vigil detect --rebuild`` when sign-ins arrive in time order and each audit
    record no later than the sign-ins it explains (a folder ingest reads ``audit/`` before
    ``signins/``); a change read after the sign-ins it explains cannot un-report them.
Example
    A daemon that signed in from one Azure West Europe address with ``azsdk-python-identity`` for
    30 days signs in from a DigitalOcean VPS in India with ``python-requests``: IP, block, ASN,
    country and user agent are unfamiliar, ~50 bits, high. An app whose PowerShell script signs
    in from the office every three days (10 sign-ins in 28 days) signs in from a Singapore VPS
    with ``python-requests``: 15 bits, medium by the sparse rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Any, ClassVar

from vigil.baseline import Fading, FeatureProfile, LearningPeriod, StateCache
from vigil.detections.base import DetectionContext, Records
from vigil.detections.change_windows import ChangeWindows, Trust, authorized_change
from vigil.detections.episodes import Episode, level_for
from vigil.detections.held_signins import hold, settle
from vigil.detections.params import DetectorParams
from vigil.detections.signin_features import FEATURES, LABELS, features, fingerprint
from vigil.detections.signin_report import note, report
from vigil.detections.verdicts import Verdicts
from vigil.model import RiskDetection, SignIn
from vigil.normalize.values import canonical_guid

CAPS = {name: 24 if name in ("ip", "net") else 8 for name in FEATURES}
CHANGES_KEY = "_changes"  # the change windows' index; each key's windows in "_changes:<key>"
_FAMILIAR_MAX = 512
_by_time = attrgetter("created_date_time")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LAST = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // timedelta(seconds=1)  # exact, not float

DEFAULT_WEIGHTS = (("asn", 1.0), ("cc", 1.2), ("ct", 1.0), ("host", 1.0), ("ip", 0.5),
                   ("key", 0.8), ("net", 0.8), ("res", 0.6), ("ua", 0.3), ("uaf", 1.0))


@dataclass(frozen=True, slots=True)
class Params(DetectorParams):
    """Tunables. Learning: ``min_days``, ``min_signins``, ``report_learning``; the sparse route
    (``sparse_days``, ``sparse_min_signins``; ``sparse_departure``: the features whose joint
    change makes a sparse profile's sign-in at least medium, empty = off); levels: ``low`` /
    ``medium`` / ``high`` score thresholds, ``max_bits`` per feature, ``weights`` per feature;
    ``episode_gap_hours``; ``change_window_hours`` and the actors trusted to make changes
    (``trusted_users``: ids or UPNs, empty = every user; ``trusted_apps``: ids or names); fading
    (``forget_days``, ``halve_days``); ``max_ids`` request / correlation ids listed."""

    min_days: float = 7.0
    min_signins: int = 30
    sparse_days: float = 21.0
    sparse_min_signins: int = 5
    sparse_departure: tuple[str, ...] = ("asn", "cc", "uaf")
    report_learning: bool = False
    low: float = 8.0
    medium: float = 16.0
    high: float = 28.0
    max_bits: float = 12.0
    weights: tuple[tuple[str, float], ...] = DEFAULT_WEIGHTS
    episode_gap_hours: float = 12.0
    change_window_hours: float = 72.0
    forget_days: int = 60
    halve_days: int = 30
    trusted_users: tuple[str, ...] = ()
    trusted_apps: tuple[str, ...] = ("Managed Service Identity",)
    max_ids: int = 20


@dataclass(slots=True)
class _Principal:
    """A principal's profile plus what is kept only in memory: familiar fingerprints, each with
    ``[feature values, sign-ins not yet added to the profile, the last one's time]``, and the
    entries that have such sign-ins."""

    profile: FeatureProfile
    familiar: dict[tuple[object, ...], list[Any]] = field(default_factory=dict)
    pending: list[list[Any]] = field(default_factory=list)
    maint_at: datetime = _EPOCH


def _day_start(day: int) -> datetime:
    """Midnight UTC of ``day`` (days since the epoch); past year 9999 (the day after a sign-in
    dated 9999-12-31), the latest time a datetime holds."""
    if day * 86_400 > _LAST:
        return datetime.max.replace(tzinfo=UTC)
    return datetime.fromtimestamp(day * 86_400, UTC)


def _episode_order(item: tuple[str, dict[str, Any]]) -> tuple[str, int, str]:
    return item[0], int(item[1]["start"]), str(item[1]["id"])


class SuspiciousSignins:
    risk_event_type: ClassVar[str] = "suspiciousSignins"
    #: The parameter type (``params_type.from_dict(overrides)`` gives the detector's params).
    params_type: ClassVar[type[Params]] = Params

    def __init__(self, params: Params | None = None) -> None:
        self.params = p = params or Params()
        self._weights = dict(p.weights)
        unknown = sorted(set(p.sparse_departure) - set(self._weights))
        if unknown:
            raise ValueError(
                f"Params.sparse_departure: unknown feature(s) {', '.join(unknown)} "
                f"(known: {', '.join(self._weights)})"
            )
        # ids as stored (GUIDs lower-case, vigil.normalize.values.canonical_guid); names as given
        self._trust = Trust(
            frozenset(u.lower() for u in p.trusted_users),
            frozenset(canonical_guid(a) for a in p.trusted_apps),
        )
        self._period = LearningPeriod(p.min_days, p.min_signins, p.sparse_days,
                                      p.sparse_min_signins)
        self._fading = Fading(p.forget_days, p.halve_days)
        self._gap = int(p.episode_gap_hours * 3600)
        self._cache: StateCache[_Principal] = StateCache(
            self.risk_event_type, self._from_state, self._to_state)

    @staticmethod
    def _from_state(state: Mapping[str, Any] | None) -> _Principal:
        pr = _Principal(FeatureProfile.from_state(state, CAPS))
        pr.maint_at = _day_start(pr.profile.next_maint)
        return pr

    def _to_state(self, pr: _Principal) -> Mapping[str, Any]:
        self._flush(pr)
        return pr.profile.to_state()

    # -- the batch ------------------------------------------------------------------------------

    def detect(self, records: Records, ctx: DetectionContext) -> list[RiskDetection]:
        changes = [c for a in records.audit_events
                   if (c := authorized_change(a, self._trust)) is not None]
        if not records.sign_ins and not changes:
            return []
        windows = ChangeWindows(ctx, self.risk_event_type, CHANGES_KEY)
        for c in changes:
            windows.add(c, self.params.change_window_hours)
        self._cache.begin(ctx)
        touched: dict[str, _Principal] = {}
        apps: dict[str, str | None] = {}
        changed: dict[int, tuple[str, dict[str, Any]]] = {}  # episodes extended in this batch
        now = ctx.now()
        verdicts = Verdicts(ctx, self.risk_event_type, "lastSignIn")
        get = touched.get
        for s in sorted(records.sign_ins, key=_by_time):
            if s.error_code:
                continue  # failures are neither learned nor scored
            sp = s.service_principal_id
            pr = get(sp)
            if pr is None:
                pr = touched[sp] = self._cache.get(sp)
                apps[sp] = s.app_id
            at = s.created_date_time
            fp = fingerprint(s)
            entry = pr.familiar.get(fp)
            if entry is not None and at < pr.maint_at:
                if not entry[1]:
                    pr.pending.append(entry)
                entry[1] += 1
                if at > entry[2]:
                    entry[2] = at
                continue
            if self._slow(pr, s, fp, windows, verdicts):
                state = pr.profile.extra["ep"]
                changed[id(state)] = (sp, state)
        out = [report(self.risk_event_type, sp, state, now)
               for sp, state in sorted(changed.values(), key=_episode_order)]
        if windows:
            for sp, pr in touched.items():
                self._flush(pr)
                if pr.profile.last is not None:
                    windows.passed(sp, apps[sp], pr.profile.last)
        windows.save()
        self._cache.commit()
        return out

    def _flush(self, pr: _Principal) -> None:
        """Add the pending familiar sign-ins to the profile (exact: integer counts, last times)."""
        if not pr.pending:
            return
        learn = pr.profile.learn_familiar
        for entry in pr.pending:
            learn(entry[0], int(entry[2].timestamp()), entry[1])
            entry[1] = 0
        pr.pending.clear()

    def _slow(self, pr: _Principal, s: SignIn, fp: tuple[object, ...],
              windows: ChangeWindows, verdicts: Verdicts) -> bool:
        """Score and learn one sign-in in full; True when it joined an episode."""
        self._flush(pr)
        prof, p = pr.profile, self.params
        t = int(s.created_date_time.timestamp())
        if prof.due(t):
            if prof.maintain(t, self._fading):
                pr.familiar.clear()
            pr.maint_at = _day_start(prof.next_maint)
            ep = prof.extra.get("ep")
            if ep is not None and not Episode(ep).continues(t, self._gap):
                del prof.extra["ep"]  # over and reported: keep the state small
        if "held" in prof.extra or "ep" in prof.extra:
            self._settle(pr, s.service_principal_id, t, verdicts)
        values = features(s)
        unfamiliar = prof.score_one(values, p.max_bits)
        if not unfamiliar:
            self._learn(pr, fp, values, t)
            return False
        learning = prof.learning(t, self._period, "sign-ins")
        explained = windows.explained(s.service_principal_id, s.app_id, t)
        explained = {f: why for f, why in explained.items() if f in unfamiliar}
        score = sum(self._weights.get(f, 1.0) * bits
                    for f, bits in unfamiliar.items() if f not in explained)
        level = level_for(score, p.low, p.medium, p.high)
        sparse: list[tuple[str, str]] = []
        if learning is not None:
            level = "low" if p.report_learning and level in ("medium", "high") else None
        elif self._period.sparse(prof.n):
            level = self._sparse(prof, t, unfamiliar, explained, level, sparse)
        if level is None:
            self._learn(pr, fp, values, t)
            return False
        notes = self._notes(prof, t, values, unfamiliar, explained, p.forget_days)
        notes += [("sparse", ident, text) for ident, text in sparse]
        self._extend(pr, s, t, score, level, notes, learning)
        if level == "low":
            self._learn(pr, fp, values, t)  # protected learning: medium and high are not learned
        else:
            self._hold(pr, values, t)
        return True

    @staticmethod
    def _hold(pr: _Principal, values: dict[str, str | None], t: int) -> None:
        """Hold a flagged sign-in's values until an admin's verdict (:mod:`held_signins`).

        While a principal holds any, its sign-ins skip the familiar fast path (``familiar`` is
        emptied and not filled), so a verdict is applied at the first sign-in past it, however
        warm this process's cache is: a rebuild learns it where the ingest did."""
        pr.familiar.clear()  # pending is empty: _slow flushed it
        extra = pr.profile.extra
        hold(extra, str(extra["ep"]["id"]), values, t)

    def _settle(self, pr: _Principal, sp: str, t: int, verdicts: Verdicts) -> None:
        """Apply admins' verdicts (:mod:`vigil.detections.verdicts`) before scoring a sign-in at
        ``t``: the held sign-ins of a dismissed episode are learned, those of a remediated one
        dropped (:func:`held_signins.settle`); an episode with a verdict past its detection's
        stored evidence ends, so a suspicious sign-in opens a new one."""
        extra = pr.profile.extra
        held: list[list[Any]] = extra.get("held") or []
        ep = extra.get("ep")
        episodes = {str(e[0]) for e in held}
        if ep is not None:
            episodes.add(str(ep["id"]))
        found = verdicts.of(sp, episodes)
        if not found and not held:
            return
        for values, at, count in settle(extra, found, t, t - self.params.forget_days * 86_400):
            self._learn(pr, None, values, at, count)
        if ep is not None:
            verdict = found.get(str(ep["id"]))
            if verdict is not None and t > verdict.last:
                del extra["ep"]

    def _sparse(self, prof: FeatureProfile, t: int, unfamiliar: dict[str, float],
                explained: dict[str, str], level: str | None,
                out: list[tuple[str, str]]) -> str | None:
        """The level of a sign-in of a profile that finished learning by the sparse route: its
        few sign-ins make every unfamiliar feature weigh little, so when every feature of
        ``sparse_departure`` (ASN, country, user agent) is unfamiliar and unexplained at once,
        the level is at least medium. Notes (ident, text) for ``sparseProfile`` go to ``out``."""
        p = self.params
        days = (t - (prof.first or t)) / 86_400
        out.append(("profile", f"{prof.n} sign-ins in {days:.1f} days: scored after "
                               f"{p.sparse_days:g} days and {p.sparse_min_signins} sign-ins "
                               f"(sparse route; {p.min_signins} otherwise)"))
        gone = p.sparse_departure
        if gone and all(f in unfamiliar and f not in explained for f in gone):
            names = ", ".join(LABELS.get(f, f) for f in gone)
            out.append(("departure", f"{names} all unfamiliar at once: at least medium"))
            if level is None or level == "low":
                return "medium"
        return level

    @staticmethod
    def _notes(prof: FeatureProfile, t: int, values: dict[str, str | None],
               unfamiliar: dict[str, float], explained: dict[str, str],
               forget_days: int) -> list[tuple[str, str, str]]:
        """(kind, ident, text) explaining each unfamiliar property against the baseline.

        "never in N days" covers what the profile remembers: values unseen for ``forget_days``
        are forgotten, so N is the profile's age up to ``forget_days``."""
        age = min(prof.age_days(t), forget_days)
        out = []
        for f in unfamiliar:
            value = str(values[f])
            if f in explained:
                out.append(("explained", f"{f}={value}", f"{LABELS[f]} {value}: {explained[f]}"))
            else:
                out.append(("unfamiliar", f"{f}={value}",
                            prof.features[f].describe(LABELS[f], value, age)))
        return out

    def _learn(self, pr: _Principal, fp: tuple[object, ...] | None,
               values: dict[str, str | None], t: int, count: int = 1) -> None:
        new = pr.profile.learn_one(values, t, count)
        if new is not None and any(new.values()):
            pr.familiar.clear()  # some fingerprint may hold the evicted value
        if fp is not None and len(pr.familiar) < _FAMILIAR_MAX and "held" not in pr.profile.extra:
            pr.familiar[fp] = [values, 0, _EPOCH]

    def _extend(self, pr: _Principal, s: SignIn, t: int, score: float, level: str,
                notes: list[tuple[str, str, str]], learning: str | None) -> None:
        prof = pr.profile
        state = prof.extra.get("ep")
        ep = Episode(state) if state else None
        if ep is None or not ep.continues(t, self._gap):
            loc = s.location
            first = {"ip": s.ip_address, "corr": s.correlation_id, "name": s.service_principal_name,
                     "app": s.app_id,
                     "loc": None if loc is None else {
                         "city": loc.city, "state": loc.state,
                         "country_or_region": loc.country_or_region,
                         "latitude": loc.latitude, "longitude": loc.longitude}}
            ep = Episode.open(s.id, s.created_date_time, t, first)
            prof.extra["ep"] = ep.s
        ep.add(s.created_date_time, t, score, level, request_id=s.id,
               correlation_id=s.correlation_id,
               key_ids=(s.credential_key_id.lower(),) if s.credential_key_id else (),
               max_ids=self.params.max_ids)
        for kind, ident, text in notes:
            if kind == "sparse":
                ep.note(kind, ident, text)
            else:
                note(ep, kind, ident, text)
        if learning is not None:
            ep.note("learning", "learning", learning)
