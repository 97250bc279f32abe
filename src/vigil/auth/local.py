"""Local API tokens for the embedded mode (``vigil token create --role ROLE``).

Format: ``vgl_`` + 43 base62 characters (32 random bytes) + a 6-character base62 CRC-32 of those
43 characters, like GitHub's token format: the prefix lets secret scanners recognise a Vigil token,
the checksum lets them (and Vigil) reject a mistyped or made-up one without a database look-up.

Only the SHA-256 of the whole token is stored, plus a short ``hint`` (the prefix and first four
characters) to tell tokens apart. An unkeyed hash is enough here: the token has 256 bits of
entropy, so a stolen hash cannot be brute-forced back into a token (a keyed hash protects
low-entropy secrets, which this is not).
"""

from __future__ import annotations

import hashlib
import secrets
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from vigil.auth.roles import Role

PREFIX = "vgl_"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BODY_LEN = 43  # 62**43 > 2**256
_CHECK_LEN = 6  # 62**6 > 2**32
TOKEN_LENGTH = len(PREFIX) + _BODY_LEN + _CHECK_LEN


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A stored local token (never the secret itself)."""

    id: str
    name: str
    role: Role
    hint: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _base62(value: int, width: int) -> str:
    out = []
    for _ in range(width):
        value, digit = divmod(value, 62)
        out.append(_ALPHABET[digit])
    return "".join(reversed(out))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode("ascii")), _CHECK_LEN)


def new_token(random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """A fresh token; ``random_bytes`` is injectable for tests."""
    body = _base62(int.from_bytes(random_bytes(32), "big"), _BODY_LEN)
    return PREFIX + body + _checksum(body)


def is_local_token(token: str) -> bool:
    """True when ``token`` has the local format and a valid checksum (says nothing of validity)."""
    if len(token) != TOKEN_LENGTH or not token.startswith(PREFIX):
        return False
    rest = token[len(PREFIX) :]
    if any(c not in _ALPHABET for c in rest):
        return False
    return _checksum(rest[:_BODY_LEN]) == rest[_BODY_LEN:]


def token_hash(token: str) -> str:
    """Hex SHA-256 of the token: what is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_hint(token: str) -> str:
    return token[: len(PREFIX) + 4]
