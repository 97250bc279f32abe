"""Marvin32, the seeded 32-bit string hash of the .NET runtime (``System.Marvin.ComputeHash32``).

Microsoft uses it for the checksum of identifiable secrets (``microsoft/security-utilities``,
``src/Marvin``). The algorithm: two 32-bit lanes ``p0`` / ``p1`` start from the low and high
halves of the 64-bit seed; the input is read as little-endian 32-bit words, with one ``0x80`` byte
appended before zero padding to a whole word; each word is added to ``p0`` and followed by one
block round; one more block round ends it, and the hash is ``p0 ^ p1``.
"""

from __future__ import annotations

_M32 = 0xFFFFFFFF


def _rotl(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & _M32


def _block(p0: int, p1: int) -> tuple[int, int]:
    p1 ^= p0
    p0 = (_rotl(p0, 20) + p1) & _M32
    p1 = _rotl(p1, 9) ^ p0
    p0 = (_rotl(p0, 27) + p1) & _M32
    p1 = _rotl(p1, 19)
    return p0, p1


def marvin32(data: bytes, seed: int) -> int:
    """The Marvin hash of ``data`` under the 64-bit ``seed``, as an unsigned 32-bit integer."""
    p0, p1 = seed & _M32, (seed >> 32) & _M32
    padded = data + b"\x80" + b"\x00" * (-(len(data) + 1) % 4)
    for i in range(0, len(padded), 4):
        p0 = (p0 + int.from_bytes(padded[i : i + 4], "little")) & _M32
        p0, p1 = _block(p0, p1)
    p0, p1 = _block(p0, p1)
    return p0 ^ p1
