"""A compact histogram of non-negative amounts on a log2 scale (requests per hour, bytes per hour).

Bucket 0 holds 0, bucket ``b >= 1`` holds amounts in ``[2**(b-1), 2**b)``. State (JSON): the list
of bucket counts, trailing zeros trimmed; 40 buckets cover a terabyte. :meth:`upper` gives the
upper edge of the bucket that holds quantile ``q``: "usually at most this much", the baseline that
``suspiciousAPITraffic`` compares a running hour with. Integer counts; :meth:`halve` fades.
"""

from __future__ import annotations

from collections.abc import Sequence


def bucket(amount: int) -> int:
    return 0 if amount <= 0 else int(amount).bit_length()


class Log2Histogram:
    __slots__ = ("counts",)

    def __init__(self, counts: Sequence[int] = ()) -> None:
        self.counts: list[int] = [int(c) for c in counts]

    @property
    def total(self) -> int:
        return sum(self.counts)

    def learn_one(self, amount: int) -> None:
        b = bucket(amount)
        if b >= len(self.counts):
            self.counts.extend([0] * (b + 1 - len(self.counts)))
        self.counts[b] += 1

    def upper(self, q: float = 0.99) -> int:
        """Upper edge (exclusive) of the bucket holding quantile ``q``; 0 when empty."""
        counts = self.counts
        total = sum(counts)
        if not total:
            return 0
        need = q * total
        seen = 0
        for b, c in enumerate(counts):
            seen += c
            if c and seen >= need:
                return 1 << b if b else 1
        return 1 << (len(counts) - 1)

    def halve(self) -> None:
        self.counts = [(c + 1) // 2 if c else 0 for c in self.counts]

    def to_state(self) -> list[int]:
        out = list(self.counts)
        while out and not out[-1]:
            out.pop()
        return out

    @classmethod
    def from_state(cls, state: Sequence[int] | None) -> Log2Histogram:
        return cls(state or ())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Log2Histogram):
            return NotImplemented
        return self.to_state() == other.to_state()
