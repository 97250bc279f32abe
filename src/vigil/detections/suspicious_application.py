"""suspiciousApplication: an application that looks built to phish consent or to hide.

Signal
    Documented heuristics, each adding evidence with a weight; *strong* ones mark an app as
    suspicious on their own, weak ones only add up:

    ==================================  ======  ======  ============================================
    heuristic                           weight  strong  what
    ==================================  ======  ======  ============================================
    ``impersonation``                   3       yes     a brand spelled with look-alike characters
    ``brandMention``                    1       no      a brand in plain ASCII, not by its owner
    ``unverifiedMultiTenantPublisher``  1       no      multi-tenant app of another tenant without
                                                        a verified publisher
    ``replyUrl``                        2 / 1   2: yes  raw IP, tunnel, dynamic DNS (2); localhost
                                                        on a multi-tenant app, plain http (1)
    ``highRiskPermissionsSoon...``      1 / 2   no      mail / files (1) or directory-write (2)
                                                        permissions granted within 24 h of creation
    ``credentialsAddedAfterConsent``    2       yes     a credential added to the service principal
                                                        within 24 h after a consent or grant
    ==================================  ======  ======  ============================================

    A detection needs a score of at least 3 and one strong heuristic; riskLevel ``high`` from 5,
    else ``medium``.
Features
    Inventory (display name, owner tenant, verified publisher, sign-in audience, reply URLs of the
    service principal and its application) and audit events (``Add service principal``, consent
    and grants - :mod:`vigil.detections.app_permissions` -, ``Add service principal
    credentials``), whose times are kept per principal in detector state.
Known false positives
    A developer's own multi-tenant test app with a tunnel reply URL; a vendor whose product name
    uses non-Latin letters that resemble a brand; an admin who adds a secret to a newly consented
    multi-tenant app's service principal (unusual, but legitimate).
Graph mapping
    riskEventType ``suspiciousApplication``; activity ``servicePrincipal``; timing ``offline``;
    ``activityDateTime`` = the creation time (the inventory's, else the ``Add service principal``
    audit event's), else the first timed evidence; additionalInfo: ``score``, ``evidence`` (each heuristic
    with its details). One detection per service principal; more evidence updates it.
Example
    "Micrоsoft Teams Sync" (Cyrillic о), owned by another tenant, unverified, reply URL
    ``https://amber-delta-orbit-123.trycloudflare.com/auth/callback``; a user consents to
    Mail.Read and Files.ReadWrite.All two seconds after the service principal is added: score 7,
    high.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from vigil.detections import app_permissions, reply_urls
from vigil.detections.base import DetectionContext, Records
from vigil.detections.impersonation import (
    MICROSOFT_BRANDS,
    impersonation,
    is_microsoft_owned,
)
from vigil.model import (
    Application,
    AuditEvent,
    InfoEntry,
    RiskDetection,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
    ServicePrincipal,
    detection_id,
)

TYPE = "suspiciousApplication"
STATE_VERSION = 1
WINDOW = timedelta(hours=24)
EARLY = timedelta(minutes=5)  # a grant logged a little before its principal is still "soon"
MULTI_TENANT = frozenset({"azureadmultipleorgs", "azureadandpersonalmicrosoftaccount"})
MIN_SCORE, HIGH_SCORE, MAX_TIMES = 3, 5, 50
ADD_SP = "Add service principal"
ADD_SP_CREDENTIALS = "Add service principal credentials"

Evidence = dict[str, Any]


def _iso(t: datetime) -> str:
    return t.isoformat()


class SuspiciousApplication:
    risk_event_type: ClassVar[str] = TYPE

    def detect(self, records: Records, ctx: DetectionContext) -> list[RiskDetection]:
        touched: set[str] = set()
        for event in records.audit_events:
            touched.update(self._learn(event, ctx))
        touched.update(sp.id for sp in records.service_principals)
        for app in records.applications:
            sp = ctx.service_principal_by_app_id(app.app_id)
            if sp is not None:
                touched.add(sp.id)
        out = []
        for sp_id in sorted(touched):
            d = self._evaluate(sp_id, ctx)
            if d is not None:
                out.append(d)
        return out

    # -- audit events → timed evidence in state ---------------------------------------------------

    def _learn(self, event: AuditEvent, ctx: DetectionContext) -> set[str]:
        name, t = event.activity_display_name.strip(), event.activity_date_time
        changed: set[str] = set()
        target = event.targets[0] if event.targets else None
        if event.result not in (None, "success") or target is None:
            return changed
        if name in (ADD_SP, ADD_SP_CREDENTIALS) and target.id and target.type == "ServicePrincipal":
            field = "created" if name == ADD_SP else "credentials"
            if self._note(ctx, target.id.lower(), field, t, event.id):
                changed.add(target.id.lower())
        for client, permission in app_permissions.grants(event):
            noted = self._note(ctx, client, "grants", t, permission)
            if self._note(ctx, client, "consent", t, event.id) or noted:
                changed.add(client)
        return changed

    def _note(self, ctx: DetectionContext, sp_id: str, field: str, t: datetime, ref: str) -> bool:
        """Record a timed fact; returns True when state changed. Keeps the earliest times."""
        state = dict(ctx.load_state(TYPE, sp_id) or {"version": STATE_VERSION})
        if field in ("created", "consent"):
            old = state.get(field)
            if old is not None and datetime.fromisoformat(old[0]) <= t:
                return False
            state[field] = [_iso(t), ref]
        else:
            items = {tuple(x) for x in state.get(field, [])}
            if (_iso(t), ref) in items:
                return False
            items.add((_iso(t), ref))
            state[field] = [list(x) for x in sorted(items)[:MAX_TIMES]]
        ctx.save_state(TYPE, sp_id, state)
        return True

    # -- evaluation -------------------------------------------------------------------------------

    def _evaluate(self, sp_id: str, ctx: DetectionContext) -> RiskDetection | None:
        sp = ctx.service_principal(sp_id)
        if sp is None or is_microsoft_owned(sp.app_owner_organization_id):
            return None
        app = ctx.application_by_app_id(sp.app_id)
        state = ctx.load_state(TYPE, sp_id) or {}
        inventory_created = (app.created_date_time if app else None) or sp.created_date_time
        evidence = static_evidence(sp, app) + timed_evidence(state, inventory_created)
        score = sum(e["weight"] for e in evidence)
        if score < MIN_SCORE or not any(e["strong"] for e in evidence):
            return None
        when = _anchor(state, sp, app)
        if when is None:
            return None
        now = ctx.now()
        return RiskDetection(
            id=detection_id(TYPE, sp.id),
            service_principal_id=sp.id,
            risk_event_type=TYPE,
            risk_level=RiskLevel.high if score >= HIGH_SCORE else RiskLevel.medium,
            risk_state=RiskState.atRisk,
            activity_date_time=when,
            detected_date_time=now,
            last_updated_date_time=now,
            detection_timing_type=RiskDetectionTimingType.offline,
            app_id=sp.app_id,
            service_principal_display_name=sp.display_name,
            additional_info=(InfoEntry("score", score), InfoEntry("evidence", evidence)),
        )


def _anchor(state: dict[str, Any], sp: ServicePrincipal, app: Application | None
            ) -> datetime | None:
    """Creation time from the inventory, else from the audit log, else the first timed evidence.

    Inventory first: it is known whenever the detector evaluates, whatever the order of the input.
    """
    known = (app.created_date_time if app else None) or sp.created_date_time
    if known is not None:
        return known
    if state.get("created"):
        return datetime.fromisoformat(state["created"][0])
    times = [datetime.fromisoformat(x[0]) for f in ("grants", "credentials") for x in state.get(f, [])]
    return min(times) if times else None


def _is_multi_tenant(sp: ServicePrincipal, app: Application | None) -> bool:
    audience = (sp.sign_in_audience or (app.sign_in_audience if app else "") or "").lower()
    return audience in MULTI_TENANT or (app is None and bool(sp.app_owner_organization_id))


def static_evidence(sp: ServicePrincipal, app: Application | None) -> list[Evidence]:
    """What the inventory shows: name, publisher, reply URLs."""
    out: list[Evidence] = []
    verified = sp.verified_publisher or (app.verified_publisher if app else None)
    multi = _is_multi_tenant(sp, app)
    imp = impersonation(sp.display_name)
    if imp is not None and imp.homoglyph:
        out.append({"heuristic": "impersonation", "weight": 3, "strong": True,
                    "brand": imp.brand, "characters": list(imp.characters)})
    elif imp is not None and not verified and (imp.brand not in MICROSOFT_BRANDS or multi):
        out.append({"heuristic": "brandMention", "weight": 1, "strong": False, "brand": imp.brand})
    if multi and not verified:
        out.append({"heuristic": "unverifiedMultiTenantPublisher", "weight": 1, "strong": False,
                    "publisherName": sp.publisher_name, "signInAudience": sp.sign_in_audience})
    urls = sorted(set(sp.reply_urls) | set(app.web_redirect_uris if app else ()))
    flagged = [(u, c) for u in urls if (c := reply_urls.classify(u)) and (c != "localhost" or multi)]
    if flagged:
        weight = max(reply_urls.WEIGHTS[c] for _, c in flagged)
        out.append({"heuristic": "replyUrl", "weight": weight, "strong": weight >= 2,
                    "urls": [{"url": u, "class": c} for u, c in flagged]})
    return out


def timed_evidence(state: dict[str, Any], created_at: datetime | None = None) -> list[Evidence]:
    """What the audit log showed: high-risk grants soon after creation, credentials after consent.

    Creation is the ``Add service principal`` audit event, else ``created_at`` (inventory).
    """
    out: list[Evidence] = []
    created = datetime.fromisoformat(state["created"][0]) if state.get("created") else created_at
    if created is not None:
        risky = sorted({p for t, p in state.get("grants", [])
                        if app_permissions.risk_of(p)
                        and created - EARLY <= datetime.fromisoformat(t) <= created + WINDOW})
        if risky:
            write = any(app_permissions.risk_of(p) == "directoryWrite" for p in risky)
            out.append({"heuristic": "highRiskPermissionsSoonAfterCreation",
                        "weight": 2 if write else 1, "strong": False, "permissions": risky})
    consent = datetime.fromisoformat(state["consent"][0]) if state.get("consent") else None
    if consent is not None:
        after = [t for t, _ in state.get("credentials", [])
                 if consent <= datetime.fromisoformat(t) <= consent + WINDOW]
        if after:
            out.append({"heuristic": "credentialsAddedAfterConsent", "weight": 2, "strong": True,
                        "consentDateTime": state["consent"][0], "credentialAddedDateTime": after[0]})
    return out
