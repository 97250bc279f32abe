"""What ``anomalousServicePrincipalActivity`` keeps per acting service principal.

:class:`ActorProfile` (JSON, ``version`` 2): when the actor was first and last seen, how many
operations it performed, its transition model (:mod:`vigil.baseline.transitions`), the dangerous
operations it is known to do (``done``) and its current episode (:mod:`vigil.detections.episodes`)
with, under ``targets``, what the episode changed per object:
``{"sp" | "app": ids, "name", "id": first audit id, "at", "corr", "level", "keys", "ops"}``.

``done`` is ``{kind: [token, ...]}``, oldest first: one token per (kind, target) of
:mod:`vigil.detections.audit_operations`, a 10-hex-digit hash of the target (40 bits; targets are
directory-assigned ids, not chosen by an attacker), at most ``max_done`` over all kinds (past
that, the oldest of the longest list is forgotten, so that pair is "never before" again). A pair is
known once the actor did it unflagged, or once the episode that flagged it is over; meanwhile the
episode keeps its flagged pairs under ``done`` in the same shape.

Version 1 kept kinds only (``["credentialAdded"]``). It is upgraded keeping everything but
``done``, which covers nothing: a kind-only entry cannot say which objects it was learned on, and
reading it as "every object" is the hole it leaves (an actor that once rotated app X's secret
could add one to a Tier-0 app unseen). The cost is one detection per pair the actor repeats
after the upgrade, after which the pair is known.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from vigil.baseline import DAY, TransitionModel
from vigil.detections.audit_operations import Finding
from vigil.detections.episodes import RANK, Episode, higher
from vigil.model import AuditEvent

VERSION = 2
#: Default cap on the (kind, target) pairs an actor remembers.
MAX_DONE = 64

Done = dict[str, list[str]]


def token(target: str) -> str:
    """The short stable name ``done`` keeps for a finding's target."""
    return hashlib.blake2b(target.encode(), digest_size=5).hexdigest()


def remember(done: Done, kind: str, tokens: Iterable[str], cap: int) -> None:
    """Add (``kind``, token) pairs to ``done`` as the newest, keeping at most ``cap`` pairs (the
    oldest of the longest list goes first)."""
    items = done.setdefault(kind, [])
    for tok in tokens:
        if tok in items:
            items.remove(tok)
        items.append(tok)
    while sum(len(v) for v in done.values()) > cap:
        longest = max(sorted(done), key=lambda k: len(done[k]))
        done[longest].pop(0)
        if not done[longest]:
            del done[longest]


def _upgrade(s: Mapping[str, Any]) -> Mapping[str, Any]:
    """A state of an earlier version in this version's shape (else empty: start afresh)."""
    if s.get("version") == 1:
        return {**s, "version": VERSION, "done": {}}  # kind-only entries cover nothing
    return s if s.get("version") == VERSION else {}


class ActorProfile:
    """An actor's state: ``{"version", "first", "last", "n", "halved", "model", "done", "ep"}``;
    version 1 is upgraded, any other starts the actor afresh (learning again)."""

    __slots__ = ("done", "ep", "first", "halved", "last", "model", "n")

    def __init__(self, state: Mapping[str, Any] | None) -> None:
        s = _upgrade(state) if state else {}
        self.first: int | None = s.get("first")
        self.last: int | None = s.get("last")
        self.n = int(s.get("n", 0))
        self.halved: int | None = s.get("halved")
        self.model = TransitionModel.from_state(s.get("model"))
        self.done: Done = {k: list(v) for k, v in (s.get("done") or {}).items()}
        self.ep: dict[str, Any] | None = s.get("ep")

    def knows(self, f: Finding) -> bool:
        """Whether the actor did ``f``'s kind to ``f``'s target before (and it is remembered)."""
        return token(f.target) in self.done.get(f.kind, ())

    def others(self, kind: str) -> int:
        """How many targets the actor is remembered to have done ``kind`` to."""
        return len(self.done.get(kind, ()))

    def learn(self, op: str, found: Iterable[Finding], t: int, halve_days: int,
              cap: int = MAX_DONE) -> None:
        if self.first is None:
            self.first = self.halved = t
        if self.halved is not None and t - self.halved >= halve_days * DAY:
            self.model.halve()
            self.halved = t
        self.last = t
        self.n += 1
        self.model.learn_one(op)
        for f in found:
            remember(self.done, f.kind, [token(f.target)], cap)

    def flag(self, found: Iterable[Finding], cap: int = MAX_DONE) -> None:
        """Findings flagged in the current episode: known once it is over."""
        assert self.ep is not None
        episode_done: Done = self.ep.setdefault("done", {})
        for f in found:
            remember(episode_done, f.kind, [token(f.target)], cap)

    def close_episode(self, cap: int = MAX_DONE) -> None:
        """The episode is over and reported: what it flagged is known from now on."""
        if self.ep is None:
            return
        for kind, tokens in sorted((self.ep.get("done") or {}).items()):
            remember(self.done, kind, tokens, cap)
        self.ep = None

    def to_state(self) -> dict[str, Any]:
        return {"version": VERSION, "first": self.first, "last": self.last, "n": self.n,
                "halved": self.halved, "model": self.model.to_state(), "done": self.done,
                "ep": self.ep}


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def describe_object(tg: Mapping[str, Any]) -> str:
    ident = f"servicePrincipalId {tg['sp']}" if tg["sp"] else f"appId {tg['app']}"
    return f"{tg['name'] or '?'} ({ident})"


def add_target(
    ep: Episode, f: Finding, e: AuditEvent, at: datetime, actor: str, cap: str, max_ops: int
) -> list[str]:
    """Remember what finding ``f`` changed, per changed object (the actor itself excluded); the
    keys of the objects it touched.

    The object's level is the finding's, capped by the operation's (low while learning). Its
    first ``max_ops`` operations are kept as text, the others counted (``opCount``).
    """
    level = f.level if RANK[f.level] <= RANK[cap] else cap
    touched = []
    for c in f.changed:
        if c.sp_id == actor or not (c.sp_id or c.app_id):
            continue
        key = f"sp:{c.sp_id}" if c.sp_id else f"app:{c.app_id}"
        touched.append(key)
        tg = ep.s["targets"].setdefault(key, {
            "sp": c.sp_id, "app": c.app_id, "name": c.name, "id": e.id, "at": at.isoformat(),
            "corr": e.correlation_id, "level": level, "keys": [], "ops": []})
        tg["level"] = higher(tg["level"], level)
        tg["keys"] = sorted(set(tg["keys"]) | set(f.key_ids))
        text = f"{iso(at)} {e.activity_display_name.strip()}: {f.text}"
        if text in tg["ops"]:
            continue
        tg["opCount"] = tg.get("opCount", len(tg["ops"])) + 1
        if len(tg["ops"]) < max_ops:
            tg["ops"].append(text)
    return touched
