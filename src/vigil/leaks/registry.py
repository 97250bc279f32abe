"""The credential registry's import format and rows: keyed digests and hints, never secrets.

``vigil credentials import FILE`` reads ``[{"keyId": ..., "secretText": ...}, ...]`` (spec
``cli.md``), each item optionally with ``servicePrincipalId`` or ``appId``; a top-level object
with one list member (e.g. ``{"secrets": [...]}``) is accepted too. Each secret becomes a
:class:`RegisteredSecret`: keyId, Entra's 3-character hint, the HMAC-SHA256 digest under the server
key, the secret's shape (``current`` / ``legacy`` / ``badChecksum`` / ``other``) and the key's
fingerprint. Problems are reported by item index and keyId; a value is never echoed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from vigil.leaks import entra_secret
from vigil.leaks.server_key import ServerKey

OTHER = "other"  # a secret without the Q~ format (older Entra secrets): matched by the intake only


@dataclass(frozen=True, slots=True)
class RegisteredSecret:
    key_id: str
    hint: str
    digest: str
    shape: str
    key_fingerprint: str
    service_principal_id: str | None = None
    app_id: str | None = None


@dataclass(frozen=True, slots=True)
class ImportProblem:
    index: int
    key_id: str | None
    reason: str


def _items(doc: Any) -> list[Any] | None:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        lists = [v for v in doc.values() if isinstance(v, list)]
        if len(lists) == 1:
            return lists[0]
    return None


def _shape(secret: str) -> str:
    if not entra_secret.looks_like_secret(secret):
        return OTHER
    return entra_secret.shape(secret).value


def parse_import(
    data: bytes, key: ServerKey
) -> tuple[list[RegisteredSecret], list[ImportProblem]]:
    """Digest every secret of an import file; the secrets are dropped as soon as digested."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        pos = getattr(exc, "pos", None)
        return [], [ImportProblem(-1, None, f"not JSON (at byte {pos})" if pos else "not JSON")]
    items = _items(doc)
    if items is None:
        return [], [ImportProblem(-1, None, "expected a JSON array of {keyId, secretText}")]
    rows: list[RegisteredSecret] = []
    problems: list[ImportProblem] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(ImportProblem(i, None, "not an object"))
            continue
        key_id = item.get("keyId")
        secret = item.get("secretText")
        if not isinstance(key_id, str) or not key_id.strip():
            problems.append(ImportProblem(i, None, "keyId missing or not a string"))
            continue
        key_id = key_id.strip().lower()
        if not isinstance(secret, str) or not 8 <= len(secret.strip()) <= 256:
            problems.append(ImportProblem(i, key_id, "secretText missing or not 8-256 characters"))
            continue
        secret = secret.strip()
        sp_id, app_id = item.get("servicePrincipalId"), item.get("appId")
        rows.append(
            RegisteredSecret(
                key_id=key_id,
                hint=entra_secret.hint(secret),
                digest=key.digest(secret),
                shape=_shape(secret),
                key_fingerprint=key.fingerprint,
                service_principal_id=sp_id.lower() if isinstance(sp_id, str) else None,
                app_id=app_id.lower() if isinstance(app_id, str) else None,
            )
        )
        del secret
    return rows, problems
