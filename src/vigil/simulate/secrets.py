"""Entra client-secret values: the format, the ``8Q~`` checksum, and decoys.

Format (spec ``entra-graph-and-logs.md`` §10.1, Microsoft security-utilities rule SEC101/156): three
characters of ``[A-Za-z0-9_~.]`` (Graph's ``hint``), a version digit, ``Q~``, then the body. The
current ``8Q~`` form is 40 characters long and its last three characters are a checksum: the first
three characters of the base-66 encoding (alphabet :data:`ALPHABET`, most significant digit first,
left-padded with ``a`` to six characters) of ``Marvin32(latin1(secret[:37]),
seed=0x4161645077643030)`` read as an unsigned 32-bit integer. The legacy ``7Q~`` form is 37
characters long and has no checksum.

Marvin32 is the .NET runtime's ``Marvin.ComputeHash32``: the input is consumed as little-endian
32-bit words, with a single ``0x80`` byte appended before zero padding, each word added to ``p0``
followed by one block round; one more round at the end; the result is ``p0 ^ p1``.
"""

from __future__ import annotations

from vigil.simulate.rand import Rand

ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890.-_~"
#: Characters allowed in the three-character hint (gitleaks excludes ``-`` there).
HINT_ALPHABET = ALPHABET.replace("-", "")
CHECKSUM_SEED = 0x4161645077643030
_M32 = 0xFFFFFFFF


def _rotl(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & _M32


def marvin32(data: bytes, seed: int) -> int:
    """The 32-bit Marvin hash of ``data`` (unsigned)."""
    p0 = seed & _M32
    p1 = (seed >> 32) & _M32
    padded = data + b"\x80" + b"\x00" * ((-len(data) - 1) % 4)
    for i in range(0, len(padded), 4):
        p0 = (p0 + int.from_bytes(padded[i : i + 4], "little")) & _M32
        p0, p1 = _block(p0, p1)
    p0, p1 = _block(p0, p1)
    return p0 ^ p1


def _block(p0: int, p1: int) -> tuple[int, int]:
    p1 ^= p0
    p0 = _rotl(p0, 20)
    p0 = (p0 + p1) & _M32
    p1 = _rotl(p1, 9)
    p1 ^= p0
    p0 = _rotl(p0, 27)
    p0 = (p0 + p1) & _M32
    p1 = _rotl(p1, 19)
    return p0, p1


def _encode66(value: int) -> str:
    digits = []
    while value:
        value, rem = divmod(value, len(ALPHABET))
        digits.append(ALPHABET[rem])
    return "".join(reversed(digits)).rjust(6, ALPHABET[0])


def checksum(prefix: str) -> str:
    """The three checksum characters that follow the 37-character ``prefix`` of an ``8Q~`` secret."""
    return _encode66(marvin32(prefix.encode("latin-1"), CHECKSUM_SEED))[:3]


def has_valid_checksum(secret: str) -> bool:
    """True for a 40-character ``xxx8Q~`` secret whose last three characters are its checksum."""
    return (
        len(secret) == 40
        and secret[3:6] == "8Q~"
        and all(c in ALPHABET for c in secret)
        and checksum(secret[:37]) == secret[37:]
    )


def new_secret(rng: Rand) -> str:
    """A current-format (``8Q~``, 40 characters) client secret with a valid checksum."""
    prefix = rng.token(HINT_ALPHABET, 3) + "8Q~" + rng.token(ALPHABET, 31)
    return prefix + checksum(prefix)


def legacy_secret(rng: Rand) -> str:
    """A legacy-format (``7Q~``, 37 characters) secret; that form carries no checksum."""
    return rng.token(HINT_ALPHABET, 3) + "7Q~" + rng.token(ALPHABET, 31)


def broken_checksum(secret: str) -> str:
    """``secret`` with its checksum changed, so a checksum-aware scanner drops it."""
    last = ALPHABET[(ALPHABET.index(secret[-1]) + 1) % len(ALPHABET)]
    return secret[:-1] + last
