"""The server key: the secret under which the credential registry keeps HMAC-SHA256 digests.

Taken from, in order: the settings (``indicators.server_key``, e.g. the environment variable
``VIGIL_INDICATORS__SERVER_KEY``), else the key file (``indicators.server_key_file``). A missing key
file is created on first use with 32 random bytes (hex) and mode 0600 (``O_CREAT | O_EXCL``, so two
processes never race to different keys); an existing one that group or others may read is refused.
Digests made under one key cannot be compared with another's: each registry row records the key's
fingerprint (an HMAC of a fixed label, not the key) so a changed key is noticed, not silently missed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

MIN_LENGTH = 32


class ServerKeyError(RuntimeError):
    pass


class ServerKey:
    """Keyed digests of secrets. ``repr`` and ``str`` never show the key."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_LENGTH:
            raise ServerKeyError(f"the server key must be at least {MIN_LENGTH} characters")
        self._key = key

    def __repr__(self) -> str:
        return f"ServerKey(fingerprint={self.fingerprint})"

    @property
    def fingerprint(self) -> str:
        """Identifies the key without revealing it (16 hex characters)."""
        return hmac.new(self._key, b"vigil/server-key-fingerprint", hashlib.sha256).hexdigest()[:16]

    def digest(self, secret: str) -> str:
        """HMAC-SHA256 of the secret's UTF-8 bytes, hex."""
        return hmac.new(self._key, secret.encode("utf-8"), hashlib.sha256).hexdigest()


def load_server_key(value: str | None, key_file: Path) -> ServerKey:
    """The configured key, else the key file's (created with mode 0600 when missing)."""
    if value:
        return ServerKey(value.strip().encode("utf-8"))
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(key_file)
    except OSError as exc:
        raise ServerKeyError(f"cannot create the server key file {key_file}: {exc.strerror}") from exc
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secrets.token_hex(32) + "\n")
    return _read(key_file)


def _read(key_file: Path) -> ServerKey:
    try:
        mode = key_file.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ServerKeyError(
                f"the server key file {key_file} is accessible to group or others "
                f"(mode {stat.filemode(mode)}); run: chmod 600 {key_file}"
            )
        text = key_file.read_text(encoding="ascii").strip()
    except OSError as exc:
        raise ServerKeyError(f"cannot read the server key file {key_file}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ServerKeyError(f"the server key file {key_file} is not ASCII text") from exc
    return ServerKey(text.encode("ascii"))
