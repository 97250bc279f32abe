"""Finds client secrets and key material in a buffer; the secret text never leaves this module.

Speed comes from a literal prefilter: ``bytes.find`` (memchr / two-way search in C) jumps between
occurrences of ``Q~`` and ``-----BEGIN``, and only the few bytes around a hit go through the exact
pattern (:data:`vigil.leaks.entra_secret.PATTERN`) and the checksum. Works on ``bytes`` and on
``mmap`` objects alike.

A secret is handed to ``digest`` (the registry's keyed HMAC) the moment it is recognised; what
comes out is a :class:`SecretHit` holding the hint, the shape and the digest, never the value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from vigil.leaks import certificates, entra_secret
from vigil.leaks.certificates import KeyMaterial
from vigil.leaks.entra_secret import Shape

Buffer = bytes | bytearray | memoryview
#: Turns a secret into its keyed digest (hex). Must not keep or log its argument.
Digest = Callable[[str], str]
#: Shapes worth a registry look-up (a bad checksum is looked up only against registered secrets
#: that fail the checksum themselves, see :mod:`vigil.leaks.matching`).
LOOKUP = frozenset({Shape.current, Shape.legacy, Shape.bad_checksum})


@dataclass(frozen=True, slots=True)
class SecretHit:
    offset: int
    shape: Shape
    hint: str
    #: Keyed digest of the secret (None for shapes that are never looked up).
    digest: str | None


def find_secrets(buf: object, digest: Digest) -> Iterator[SecretHit]:
    """Every Entra client-secret candidate in ``buf``, in offset order."""
    find, match = buf.find, entra_secret.PATTERN.match  # type: ignore[attr-defined]
    pos = find(entra_secret.SNIFF)
    while pos != -1:
        start = pos - 4
        m = match(buf, start, pos + 37) if start >= 0 else None
        if m is not None:
            text = m.group(1).decode("ascii")
            shape = entra_secret.shape(text)
            yield SecretHit(
                offset=start,
                shape=shape,
                hint=entra_secret.hint(text),
                digest=digest(text) if shape in LOOKUP else None,
            )
            del text
        pos = find(entra_secret.SNIFF, pos + 2)


def find_key_material(buf: object) -> list[KeyMaterial]:
    """Certificates and private keys in PEM blocks of ``buf``."""
    pos = buf.find(certificates.SNIFF)  # type: ignore[attr-defined]
    return [] if pos == -1 else certificates.from_pem(buf, pos)


class LineCounter:
    """1-based line numbers of increasing offsets in one buffer, counted incrementally."""

    def __init__(self, buf: object) -> None:
        self._buf = buf
        self._offset = 0
        self._line = 1

    def line(self, offset: int) -> int:
        if offset < self._offset:
            self._offset, self._line = 0, 1
        self._line += self._buf.count(b"\n", self._offset, offset)  # type: ignore[attr-defined]
        self._offset = offset
        return self._line
