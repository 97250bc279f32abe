"""What a scan or an intake reports: counts, matched keyIds with their locations, decoys. No secret."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from vigil.detections.leaked_credentials import LeakFinding
from vigil.leaks.sources import SourceStats


@dataclass
class ScanSummary:
    sources: SourceStats = field(default_factory=SourceStats)
    #: Client-secret look-alikes by shape (current / legacy / badChecksum / badLength).
    shapes: Counter[str] = field(default_factory=Counter)
    #: Decoys by kind (unknown / badChecksum / expired / notYetValid / removed).
    decoys: Counter[str] = field(default_factory=Counter)
    #: Key material by kind (certificate / privateKey / encryptedPrivateKey / pkcs12 / unmatched).
    key_material: Counter[str] = field(default_factory=Counter)
    findings: list[LeakFinding] = field(default_factory=list)
    #: Registered secrets whose credential is not in the inventory: stored, so that an inventory
    #: snapshot ingested later can still turn them into detections.
    pending: list[LeakFinding] = field(default_factory=list)
    detections: int = 0
    seconds: float = 0.0

    @property
    def candidates(self) -> int:
        return sum(self.shapes.values())

    def to_dict(self) -> dict[str, Any]:
        s = self.sources
        return {
            "scanned": {"files": s.files, "bytes": s.bytes, "repositories": s.repositories,
                        "blobs": s.blobs, "duplicateBlobs": s.duplicate_blobs,
                        "messages": s.messages,  # commit and annotated tag messages
                        "seconds": round(self.seconds, 3)},
            "candidates": self.candidates,
            "shapes": dict(sorted(self.shapes.items())),
            "matched": [
                {"keyId": f.key_id, "credentialType": f.credential_type,
                 "servicePrincipalId": f.service_principal_id, "appId": f.app_id,
                 "leakedDateTime": f.leaked_at.isoformat(), "location": f.location.to_dict()}
                for f in self.findings
            ],
            "decoys": dict(sorted(self.decoys.items())),
            "keyMaterial": dict(sorted(self.key_material.items())),
            "detections": self.detections,
            "errors": [{"path": p, "reason": r} for p, r in s.errors],
        }
