"""Seeded randomness and time formatting for the simulator.

Contract: every random choice in ``vigil.simulate`` comes from a :class:`Rand` derived from the run's
seed and a fixed name (``Rand.derive(seed, "baseline", sp_index)``), so one part of the generator can
change without shifting the random stream of another, and the same seed gives the same bytes.
``random.Random`` seeded with a ``str`` hashes it with SHA-512 (seed version 2), which does not depend
on ``PYTHONHASHSEED``. Times are integer milliseconds since the Unix epoch, UTC; no wall clock is read.
"""

from __future__ import annotations

import base64
import random
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TypeVar

T = TypeVar("T")

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR

_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (0x4000 << 64) | (0x8000 << 48)


class Rand(random.Random):
    """``random.Random`` with id helpers. Build with :meth:`derive`, never from the wall clock."""

    @classmethod
    def derive(cls, seed: int, *names: object) -> Rand:
        return cls("/".join(str(n) for n in (seed, *names)))

    def guid_int(self) -> int:
        """A random version-4 UUID as an int (format with :func:`fmt_guid`)."""
        return (self.getrandbits(128) & _V4_CLEAR) | _V4_SET

    def guid(self) -> str:
        return fmt_guid(self.guid_int())

    def pick(self, items: Sequence[T]) -> T:
        return items[self.randrange(len(items))]

    def token(self, alphabet: str, length: int) -> str:
        return "".join(alphabet[self.randrange(len(alphabet))] for _ in range(length))

    def jitter(self, ms: int, fraction: float) -> int:
        """``ms`` scaled by a uniform factor in ``[1 - fraction, 1 + fraction]``."""
        return int(ms * (1.0 + fraction * (2.0 * self.random() - 1.0)))


def fmt_guid(n: int) -> str:
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def token_id(n: int) -> str:
    """Entra's ``uniqueTokenIdentifier``: the request id's bytes (little-endian GUID), base64url."""
    raw = uuid.UUID(int=n).bytes_le
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def ms_of(dt: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime."""
    return int(dt.timestamp() * 1000)


def dt_of(ms: int) -> datetime:
    return datetime.fromtimestamp(ms // 1000, UTC).replace(microsecond=(ms % 1000) * 1000)


def iso_s(ms: int) -> str:
    """``2026-10-01T12:34:56Z`` (Graph's signIn and directoryAudit style)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


def iso_ms(ms: int) -> str:
    """``2026-10-01T12:34:56.123Z`` (Log Analytics rows, STIX)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def iso_7(ms: int) -> str:
    """``2026-10-01T12:34:56.1230000Z`` (seven fractional digits, as .NET writes them)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}0000Z"
