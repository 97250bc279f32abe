"""Profiles kept decoded between batches, and saved once per batch through the detection context.

Detectors run on every ingested record, and one state load per principal per batch costs more
than the detection itself. A :class:`StateCache` therefore keeps the decoded profiles of one
detector across batches *while the store provably holds what this cache last wrote*:

* :meth:`StateCache.begin` reads one row, ``(detector, "_generation")``. If it is not the token
  this cache wrote at its last :meth:`StateCache.commit`, every cached profile is dropped and
  profiles are loaded again from the store. That covers a rolled-back batch, ``vigil detect
  --rebuild`` (which clears detector state), and another process that wrote state in between.
* :meth:`StateCache.commit` saves every profile touched in the batch, then a new generation
  token, through ``ctx.save_state``: they are written in the batch's transaction, so a crash loses
  nothing that was committed and state never runs ahead of the records.

The store stays the source of truth; the cache never changes a result. At most ``max_entries``
profiles are kept (least recently used go first, after they were saved).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar

P = TypeVar("P")
GENERATION_KEY = "_generation"


class StateStore(Protocol):
    """The part of ``vigil.detections.base.DetectionContext`` a cache needs."""

    def load_state(self, detector: str, key: str) -> Mapping[str, Any] | None: ...

    def save_state(self, detector: str, key: str, state: Mapping[str, Any]) -> None: ...


class StateCache(Generic[P]):
    def __init__(
        self,
        detector: str,
        from_state: Callable[[Mapping[str, Any] | None], P],
        to_state: Callable[[P], Mapping[str, Any]],
        max_entries: int = 20_000,
    ) -> None:
        self.detector = detector
        self._from_state = from_state
        self._to_state = to_state
        self._max = max_entries
        self._items: OrderedDict[str, P] = OrderedDict()
        self._dirty: set[str] = set()
        self._writer = os.urandom(8).hex()  # tells this cache's writes from others'; not output
        self._seq = 0
        self._written: dict[str, Any] | None = None
        self._ctx: StateStore | None = None

    def begin(self, ctx: StateStore) -> None:
        """Start a batch: keep the cached profiles only if the store holds our last write."""
        self._ctx = ctx
        self._dirty.clear()
        stored = ctx.load_state(self.detector, GENERATION_KEY)
        if self._written is None or stored is None or dict(stored) != self._written:
            self._items.clear()
        self._written = None  # until commit(): a batch that fails half-way invalidates the cache

    def get(self, key: str) -> P:
        """The profile under ``key`` (decoded from the store, or new), marked as touched."""
        item = self._items.get(key)
        if item is None:
            assert self._ctx is not None, "begin() first"
            item = self._from_state(self._ctx.load_state(self.detector, key))
            self._items[key] = item
        self._dirty.add(key)
        return item

    def peek(self, key: str) -> P:
        """Like :meth:`get` without marking the profile as touched (for read-only use)."""
        item = self._items.get(key)
        if item is None:
            assert self._ctx is not None, "begin() first"
            item = self._from_state(self._ctx.load_state(self.detector, key))
            self._items[key] = item
        return item

    def commit(self) -> None:
        """Save the profiles touched since :meth:`begin` and a new generation token."""
        ctx = self._ctx
        if ctx is None:
            return
        for key in sorted(self._dirty):
            ctx.save_state(self.detector, key, self._to_state(self._items[key]))
            self._items.move_to_end(key)
        self._seq += 1
        token = {"version": 1, "writer": self._writer, "seq": self._seq}
        ctx.save_state(self.detector, GENERATION_KEY, token)
        self._written = token
        self._dirty.clear()
        while len(self._items) > self._max:
            self._items.popitem(last=False)
        self._ctx = None
