"""Leak matching end to end: import the registry, scan paths, take GitHub reports, record detections.

Every path ends in :meth:`LeakService.record`: findings are stored (keyId + location, no secret)
and passed to the leakedCredentials detector, whose detections go through
``RiskService.record_detection`` in the same transaction.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from vigil.detections.leaked_credentials import LeakedCredentials, LeakFinding, LeakLocation
from vigil.leaks import certificates, entra_secret, github
from vigil.leaks.certificates import Material
from vigil.leaks.entra_secret import Shape
from vigil.leaks.github import TokenMatch
from vigil.leaks.matching import CredentialIndex, Owner, lookup_secret, verdict
from vigil.leaks.registry import OTHER, ImportProblem, RegisteredSecret, parse_import
from vigil.leaks.scanner import LineCounter, find_key_material, find_secrets
from vigil.leaks.server_key import ServerKey, load_server_key
from vigil.leaks.sources import Blob, Origin, iter_blobs
from vigil.leaks.summary import ScanSummary
from vigil.services.detection import StoreContext
from vigil.services.risk import RiskService
from vigil.store import Store
from vigil.store.database import IMMEDIATE
from vigil.store.leaks import CredentialRegistry, FindingRepository

if TYPE_CHECKING:
    from vigil.app import App

PKCS12_SUFFIXES = (".pfx", ".p12")


@dataclass(frozen=True, slots=True)
class ImportSummary:
    imported: int
    shapes: dict[str, int]
    problems: tuple[ImportProblem, ...]
    other_keys: int  # registry rows made under another server key


@dataclass
class _Keys:
    """Certificates and private keys seen in one scan, joined by public key at the end."""

    thumbprints: dict[str, str] = field(default_factory=dict)  # spki → thumbprint
    private: list[tuple[str, Origin, int | None]] = field(default_factory=list)


class LeakService:
    def __init__(self, store: Store, risk: RiskService, clock: Callable[[], datetime],
                 key: ServerKey) -> None:
        self.store, self.risk, self.clock, self.key = store, risk, clock, key
        self.registry = CredentialRegistry(store.engine)
        self.findings = FindingRepository(store.engine)

    def import_credentials(self, data: bytes) -> ImportSummary:
        rows, problems = parse_import(data, self.key)
        n = self.registry.add(rows, self.clock())
        shapes: dict[str, int] = {}
        for r in rows:
            shapes[r.shape] = shapes.get(r.shape, 0) + 1
        others = sum(c for fp, c in self.registry.fingerprints().items()
                     if fp != self.key.fingerprint)
        return ImportSummary(n, shapes, tuple(problems), others)

    def _index(self) -> CredentialIndex:
        inv = self.store.inventory
        return CredentialIndex(inv.all_service_principals(), inv.applications())

    # -- scanning ---------------------------------------------------------------------------------

    def scan(self, paths: list[str]) -> ScanSummary:
        started = time.perf_counter()
        summary, keys, index = ScanSummary(), _Keys(), self._index()
        for blob in iter_blobs(paths, summary.sources):
            self._scan_blob(blob, summary, keys, index)
        for spki, origin, line in keys.private:
            thumb = keys.thumbprints.get(spki)
            owner = index.by_thumbprint.get(thumb) if thumb else None
            if owner is None:
                summary.key_material["unmatchedPrivateKey"] += 1
                continue
            self._judge(owner, "certificate", origin, line, summary)
        summary.detections = self.record(summary.findings + summary.pending)
        summary.seconds = time.perf_counter() - started
        return summary

    def _scan_blob(self, blob: Blob, summary: ScanSummary, keys: _Keys,
                   index: CredentialIndex) -> None:
        lines = LineCounter(blob.data)
        for hit in find_secrets(blob.data, self.key.digest):
            summary.shapes[hit.shape.value] += 1
            if hit.digest is None:
                continue
            entry = lookup_secret(hit.shape, hit.hint, hit.digest, self.registry.by_digest,
                                  self.registry.by_hint)
            if entry is None:
                bad = hit.shape is Shape.bad_checksum
                summary.decoys["badChecksum" if bad else "unknown"] += 1
                continue
            owner = index.by_key.get(entry.key_id)
            self._judge(owner, "password", blob.origin, lines.line(hit.offset), summary, entry)
        found = find_key_material(blob.data)
        if blob.name.lower().endswith(PKCS12_SUFFIXES) or certificates.looks_like_pkcs12(
                blob.data[:128]):  # type: ignore[index]
            found += certificates.from_pkcs12(bytes(blob.data))  # type: ignore[call-overload]
        for item in found:
            summary.key_material[item.kind.value] += 1
            if item.kind is Material.certificate and item.spki_sha256 and item.thumbprint:
                keys.thumbprints.setdefault(item.spki_sha256, item.thumbprint)
            elif item.kind is Material.private_key and item.spki_sha256:
                line = lines.line(item.offset) if item.offset is not None else None
                keys.private.append((item.spki_sha256, blob.origin, line))

    def _judge(self, owner: Owner | None, kind: str, origin: Origin, line: int | None,
               summary: ScanSummary, entry: RegisteredSecret | None = None,
               url: str | None = None, context: str | None = None) -> None:
        source = "githubSecretScanning" if url or context else "scan"
        where = (LeakLocation(url=url, context=context) if source != "scan"
                 else _location(origin, line))
        outcome = verdict(owner, self.clock())
        if outcome != "leaked" or owner is None:
            summary.decoys[outcome] += 1
            if owner is None and entry is not None:  # not in the inventory (yet): keep it
                summary.pending.append(LeakFinding(
                    key_id=entry.key_id, credential_type=kind,
                    leaked_at=origin.time or self.clock(), location=where,
                    source=source, service_principal_id=entry.service_principal_id,
                    app_id=entry.app_id))
            return
        finding = LeakFinding(
            key_id=owner.credential.key_id,
            credential_type=kind,
            leaked_at=origin.time or self.clock(),
            location=where,
            source=source,
            service_principal_id=owner.service_principal_id,
            app_id=owner.app_id,
        )
        if not any(f.key_id == finding.key_id and f.location.key == finding.location.key
                   for f in summary.findings):
            summary.findings.append(finding)

    # -- GitHub secret-scanning reports ---------------------------------------------------------

    def report_tokens(self, matches: list[TokenMatch]) -> tuple[ScanSummary, list[dict[str, str]]]:
        """Match tokens reported by GitHub; returns the summary and the feedback to answer with."""
        summary, index, feedback = ScanSummary(), self._index(), []
        for m in matches:
            shape = entra_secret.shape(m.token) if entra_secret.looks_like_secret(m.token) else None
            summary.shapes[shape.value if shape else OTHER] += 1
            digest = self.key.digest(m.token.strip())
            hint = entra_secret.hint(m.token.strip())
            entry = (lookup_secret(shape, hint, digest, self.registry.by_digest,
                                   self.registry.by_hint) if shape else
                     next(iter(self.registry.by_digest(digest)), None))
            if entry is None:
                summary.decoys["badChecksum" if shape is Shape.bad_checksum else "unknown"] += 1
                if shape is Shape.bad_checksum:
                    feedback.append(github.feedback(m, "false_positive"))
                continue
            feedback.append(github.feedback(m, "true_positive"))
            origin = Origin(path="", time=self.clock())
            self._judge(index.by_key.get(entry.key_id), "password", origin, None, summary, entry,
                        url=m.url, context=m.source)
        summary.detections = self.record(summary.findings + summary.pending)
        return summary, feedback

    # -- recording --------------------------------------------------------------------------------

    def record(self, findings: Iterable[LeakFinding]) -> int:
        """Store findings and record the detections they give; returns risk changes."""
        findings = list(findings)
        if not findings:
            return 0
        changed = 0
        with self.store.engine.connect() as conn:
            conn = conn.execution_options(**{IMMEDIATE: True})
            with conn.begin():
                self.findings.add(findings, self.clock(), conn)
                ctx = StoreContext(self.store, conn, self.clock)
                for d in LeakedCredentials().detect_findings(findings, ctx):
                    if self.risk.record_detection(d, conn) is not None:
                        changed += 1
                ctx.flush()
        return changed


def _location(origin: Origin, line: int | None) -> LeakLocation:
    """Where the finding is; a path is real (``..``, ``./`` and symlinks resolved), since it
    names the detection: the same file scanned under another spelling is the same leak."""
    path = origin.path if origin.path == "-" else os.path.realpath(origin.path)
    return LeakLocation(path=path, line=line, commit=origin.commit, file=origin.file)


def leak_service(app: App) -> LeakService:
    """The service over ``app``'s store, with the server key from its settings."""
    s = app.settings.indicators
    secret = s.server_key.get_secret_value() if s.server_key else None
    return LeakService(app.store, app.risk, app.clock, load_server_key(secret, s.server_key_file))
