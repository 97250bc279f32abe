"""leakedCredentials: a credential that is valid now was found in a file, a repository or by GitHub.

Signal
    A leak finding (from ``vigil scan`` or the GitHub secret-scanning intake) names a credential
    keyId: a client secret whose keyed digest equals a registered secret's, or a private key that
    completes a certificate credential (thumbprint). The finding becomes a detection only when that
    credential is **currently valid**: still on the service principal or its application in the
    newest inventory snapshot, started, and not expired at the caller's clock
    (:mod:`vigil.detections.credential_validity`).
Features
    keyId, credential type (password / certificate), where it was found (path, line, git commit and
    file, or URL), when it leaked (file modification time, commit time, time GitHub reported it).
Known false positives
    A secret committed to a private repository that only its owners can read is still reported
    (Vigil cannot tell who can read a path). Test credentials that are valid but harmless.
Graph mapping
    riskEventType ``leakedCredentials``; riskLevel ``high`` (a working credential is exposed);
    activity ``servicePrincipal``; timing ``offline``; ``keyIds`` = [keyId];
    ``activityDateTime`` = when it leaked; additionalInfo: ``keyId``, ``credentialType``,
    ``location`` (path, line, commit, file, url), ``source``, ``credentialEndDateTime``,
    ``alertUrl``. One detection per (keyId, location); never the secret.
Timing
    Emitted by the scan / intake (:meth:`LeakedCredentials.detect_findings`), and again when a new
    inventory snapshot arrives with a keyId that an earlier finding named (so a scan run before
    the inventory was ingested still yields its detections). Ids come from keyId + location, so
    every path gives the same detection.
Example
    ``appsettings.Development.json`` line 11 holds ``ClientSecret`` of sales-notifier's current
    secret (keyId 9ca3...); ``vigil scan repos/`` reports it at the file's modification time.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol

from vigil.detections.base import DetectionContext, Records
from vigil.detections.credential_validity import Validity, find_credential, validity
from vigil.model import (
    InfoEntry,
    RiskDetection,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
    detection_id,
)

TYPE = "leakedCredentials"


@dataclass(frozen=True, slots=True)
class LeakLocation:
    """Where a leaked credential was found.

    ``path``: a file, a repository or ``-`` (stdin); ``commit`` and ``file`` inside a repository
    (``file`` ``(commit message)``: the commit's message; ``(tag message)`` and ``(tagged blob)``:
    ``commit`` is then a tag object, ``vigil.leaks.sources``); ``url`` and ``context`` (GitHub's
    ``source``: content, commit, issue_comment, ...) for a report.
    """

    path: str | None = None
    line: int | None = None
    commit: str | None = None
    file: str | None = None
    url: str | None = None
    context: str | None = None

    @property
    def key(self) -> str:
        """Identifies the place (not the line): what a detection id is made of."""
        parts = (self.path, self.commit, self.file, self.url, self.context)
        return "|".join(x or "" for x in parts)

    def to_dict(self) -> dict[str, str | int]:
        pairs = (("path", self.path), ("line", self.line), ("commit", self.commit),
                 ("file", self.file), ("url", self.url), ("context", self.context))
        return {k: v for k, v in pairs if v is not None}


@dataclass(frozen=True, slots=True)
class LeakFinding:
    """A leaked credential, resolved to its keyId (the secret itself is never part of it)."""

    key_id: str
    credential_type: str  # "password" | "certificate"
    leaked_at: datetime
    location: LeakLocation
    source: str  # "scan" | "githubSecretScanning"
    service_principal_id: str | None = None
    app_id: str | None = None


class FindingSource(Protocol):
    """Stored findings naming any of the keyIds, service principals or appIds of new snapshots."""

    def findings_for(self, key_ids: Collection[str], service_principal_ids: Collection[str],
                     app_ids: Collection[str]) -> list[LeakFinding]: ...


class LeakedCredentials:
    risk_event_type: ClassVar[str] = TYPE

    def __init__(self, findings: FindingSource | None = None) -> None:
        self._findings = findings

    def detect(self, records: Records, ctx: DetectionContext) -> list[RiskDetection]:
        if self._findings is None:
            return []
        owners = (*records.service_principals, *records.applications)
        if not owners:
            return []
        key_ids = {c.key_id for o in owners for c in (*o.password_credentials, *o.key_credentials)}
        sp_ids = {sp.id for sp in records.service_principals}
        app_ids = {o.app_id for o in owners}
        return self.detect_findings(self._findings.findings_for(key_ids, sp_ids, app_ids), ctx)

    def detect_findings(
        self, findings: Iterable[LeakFinding], ctx: DetectionContext
    ) -> list[RiskDetection]:
        """Detections for the findings whose credential is valid at ``ctx.now()``."""
        out: dict[str, RiskDetection] = {}
        for f in findings:
            d = self._detection(f, ctx)
            if d is not None:
                out.setdefault(d.id, d)
        return list(out.values())

    def _detection(self, f: LeakFinding, ctx: DetectionContext) -> RiskDetection | None:
        sp = ctx.service_principal(f.service_principal_id) if f.service_principal_id else None
        if sp is None and f.app_id:
            sp = ctx.service_principal_by_app_id(f.app_id)
        if sp is None:
            return None
        app = ctx.application_by_app_id(sp.app_id)
        credential = find_credential(sp, app, f.key_id)
        now = ctx.now()
        if validity(credential, now) is not Validity.valid:
            return None
        assert credential is not None
        end = credential.end_date_time
        info = (
            InfoEntry("keyId", f.key_id),
            InfoEntry("credentialType", f.credential_type),
            InfoEntry("location", f.location.to_dict()),
            InfoEntry("source", f.source),
            InfoEntry("credentialEndDateTime", end.isoformat() if end else None),
            InfoEntry("alertUrl", f.location.url),
        )
        return RiskDetection(
            id=detection_id(TYPE, sp.id, f.key_id, f.location.key),
            service_principal_id=sp.id,
            risk_event_type=TYPE,
            risk_level=RiskLevel.high,
            risk_state=RiskState.atRisk,
            activity_date_time=f.leaked_at,
            detected_date_time=now,
            last_updated_date_time=now,
            detection_timing_type=RiskDetectionTimingType.offline,
            app_id=sp.app_id,
            service_principal_display_name=sp.display_name,
            key_ids=(f.key_id,),
            additional_info=info,
        )
