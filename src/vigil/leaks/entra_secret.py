"""Entra client-secret values: the format and the ``8Q~`` checksum, as Microsoft's scanner checks them.

Source: ``microsoft/security-utilities`` rule SEC101/156 ``AadClientAppIdentifiableCredentials``
(``IdentifiableMetadata.IsAzureAadClientAppIdentifiableSecret``; spec
``entra-graph-and-logs.md`` §10.1):

* alphabet ``a-z A-Z 0-9 . - _ ~``; three characters (Graph's ``hint``), a version digit, ``Q~``,
  then the body; delimited on both sides by anything outside the alphabet and ``+`` / ``/``,
  and at its start by a string escape too (``\\n`` ``\\t`` ``\\r`` ``\\b`` ``\\f``: a secret on
  a new line of an escaped JSON string is found and redacted);
* ``7Q~`` (legacy) secrets are 37 characters and carry no checksum;
* ``8Q~`` (current) secrets are 40 characters; the last three are the first three characters of
  ``CustomAlphabetEncoder(ALPHABET).Encode((uint)Marvin32(latin1(secret[:37]), 0x4161645077643030))``:
  base 66, most significant digit first. The current ``Encode(uint data, int minLength = 6)``
  left-pads with the alphabet's first character to six digits; earlier releases of the library did
  not pad. The two differ only for checksum values below 66**5 (about 29% of secrets), so both
  forms are accepted.

Nothing here keeps or logs a secret; callers pass one in and get a verdict back.
"""

from __future__ import annotations

import re
from enum import StrEnum

from vigil.leaks.marvin import marvin32

ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890.-_~"
CHECKSUM_SEED = 0x4161645077643030
LEGACY, CURRENT = "7Q~", "8Q~"
LENGTHS = {LEGACY: 37, CURRENT: 40}

_CHARS = rb"~.a-zA-Z0-9_\-"
#: Microsoft's pattern over bytes: delimiters are lookarounds so adjacent secrets both match.
#: A string escape (``\n``, ``\t``, ``\r``, ``\b``, ``\f``: a secret on a new line of a JSON
#: string, a log message, a quoted .env value) delimits too: its letter is not part of the secret.
PATTERN = re.compile(
    rb"(?:(?<![" + _CHARS + rb"+/])|(?<=\\[nrtbf]))"
    rb"([" + _CHARS + rb"]{3}[78]Q~[" + _CHARS + rb"]{31,34})"
    rb"(?![" + _CHARS + rb"+/])"
)
#: The literal every candidate contains; a scanner searches for it before running :data:`PATTERN`.
SNIFF = b"Q~"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


class Shape(StrEnum):
    """What a string that looks like a client secret turned out to be."""

    current = "current"  # 8Q~, checksum valid
    legacy = "legacy"  # 7Q~ (no checksum to check)
    bad_checksum = "badChecksum"  # 8Q~ whose checksum does not match: a typo or a fake
    bad_length = "badLength"  # right prefix, wrong length for its version


def encode66(value: int, min_length: int = 6) -> str:
    """Microsoft's ``CustomAlphabetEncoder.Encode``: base 66, most significant digit first,
    left-padded with ``ALPHABET[0]`` to ``min_length`` digits (0: no padding, as older releases)."""
    digits = []
    while value > 0:
        value, rem = divmod(value, len(ALPHABET))
        digits.append(ALPHABET[rem])
    digits.extend(ALPHABET[0] * (min_length - len(digits)))
    return "".join(reversed(digits))


def checksum(prefix: str) -> str:
    """The checksum characters for the 37-character ``prefix`` of an ``8Q~`` secret."""
    return encode66(marvin32(prefix.encode("latin-1"), CHECKSUM_SEED))[:3]


def checksums(prefix: str) -> frozenset[str]:
    """Both accepted checksums of ``prefix``: padded (current library) and unpadded (older)."""
    value = marvin32(prefix.encode("latin-1"), CHECKSUM_SEED)
    return frozenset({encode66(value)[:3], encode66(value, 0)[:3]})


def shape(secret: str) -> Shape:
    """Classify a string matched by :data:`PATTERN`."""
    signature = secret[3:6]
    if len(secret) != LENGTHS.get(signature, -1):
        return Shape.bad_length
    if signature == LEGACY:
        return Shape.legacy
    if any(c not in _INDEX for c in secret):
        return Shape.bad_checksum
    return Shape.current if secret[37:] in checksums(secret[:37]) else Shape.bad_checksum


def hint(secret: str) -> str:
    """Graph's ``passwordCredential.hint``: the first three characters."""
    return secret[:3]


def looks_like_secret(text: str) -> bool:
    """True when ``text`` as a whole has the client-secret format (either version, any checksum)."""
    m = PATTERN.fullmatch(text.encode("utf-8", "replace"))
    return m is not None and shape(text) is not Shape.bad_length
