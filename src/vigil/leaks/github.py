"""GitHub's secret-scanning partner program: the request Vigil receives, and its signature.

Protocol (github/docs ``secret-scanning-partner-program.md``): GitHub POSTs a JSON array of
``{"token", "type", "url", "source"}`` with the headers ``Github-Public-Key-Identifier`` and
``Github-Public-Key-Signature`` (base64 of a DER ECDSA signature, ``ECDSA-NIST-P256V1-SHA256``,
over the raw body). The public keys are those GitHub publishes at
``https://api.github.com/meta/public_keys/secret_scanning`` (``{"public_keys": [{"key_identifier",
"key", "is_current"}]}``); Vigil reads them from a file in that shape, so it needs no network. The
optional answer is feedback ``[{"token_hash": sha256 hex, "token_type", "label":
"true_positive" | "false_positive"}]``. No framework here; :mod:`vigil.api.secret_scanning` adapts it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

KEY_ID_HEADER = "Github-Public-Key-Identifier"
SIGNATURE_HEADER = "Github-Public-Key-Signature"
MAX_MATCHES = 10_000


class IntakeError(ValueError):
    """A request to refuse; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class TokenMatch:
    token: str
    type: str
    url: str | None
    source: str | None

    def __repr__(self) -> str:  # never show the token
        return f"TokenMatch(type={self.type!r}, url={self.url!r}, source={self.source!r})"


def load_public_keys(path: Path) -> dict[str, ec.EllipticCurvePublicKey]:
    """key_identifier → public key, from a file in the shape of GitHub's meta endpoint."""
    doc = json.loads(path.read_bytes())
    keys: dict[str, ec.EllipticCurvePublicKey] = {}
    for item in doc.get("public_keys", []) if isinstance(doc, dict) else []:
        key = serialization.load_pem_public_key(str(item["key"]).encode())
        if isinstance(key, ec.EllipticCurvePublicKey):
            keys[str(item["key_identifier"])] = key
    return keys


def verify(body: bytes, key_id: str | None, signature: str | None,
           keys: dict[str, ec.EllipticCurvePublicKey]) -> None:
    """Raise :class:`IntakeError` unless ``signature`` is a valid signature of ``body``."""
    if not key_id or not signature:
        raise IntakeError(401, f"missing {KEY_ID_HEADER} or {SIGNATURE_HEADER}")
    key = keys.get(key_id.strip())
    if key is None:
        raise IntakeError(401, "unknown public key identifier")
    try:
        der = base64.b64decode(signature.strip(), validate=True)
        key.verify(der, body, ec.ECDSA(hashes.SHA256()))
    except (binascii.Error, ValueError, InvalidSignature) as exc:
        raise IntakeError(401, "invalid signature") from exc


def parse_matches(body: bytes) -> list[TokenMatch]:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise IntakeError(400, "the body is not JSON") from exc
    if not isinstance(doc, list) or len(doc) > MAX_MATCHES:
        raise IntakeError(400, f"expected a JSON array of at most {MAX_MATCHES} matches")
    out = []
    for i, item in enumerate(doc):
        if not isinstance(item, dict) or not isinstance(item.get("token"), str):
            raise IntakeError(400, f"match {i}: expected an object with a string token")
        url, source = item.get("url"), item.get("source")
        out.append(TokenMatch(item["token"], str(item.get("type") or ""),
                              url if isinstance(url, str) and url else None,
                              source if isinstance(source, str) else None))
    return out


def feedback(match: TokenMatch, label: str) -> dict[str, str]:
    """One feedback item, with the token hashed (SHA-256) as the program asks."""
    return {"token_hash": hashlib.sha256(match.token.encode("utf-8")).hexdigest(),
            "token_type": match.type, "label": label}
