"""What ``anomalousServicePrincipalActivity`` keeps per acting service principal.

:class:`ActorProfile` (JSON, ``version`` 1): when the actor was first and last seen, how many
operations it performed, its transition model (:mod:`vigil.baseline.transitions`), the kinds of
dangerous operation it performed without being flagged (``done``) and its current episode
(:mod:`vigil.detections.episodes`) with, under ``targets``, what the episode changed per object:
``{"sp" | "app": ids, "name", "id": first audit id, "at", "corr", "level", "keys", "ops"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from vigil.baseline import DAY, TransitionModel
from vigil.detections.audit_operations import Finding
from vigil.detections.episodes import RANK, Episode, higher
from vigil.model import AuditEvent

VERSION = 1


class ActorProfile:
    """An actor's state: ``{"version", "first", "last", "n", "halved", "model", "done", "ep"}``;
    a state of another version starts the actor afresh (learning again)."""

    __slots__ = ("done", "ep", "first", "halved", "last", "model", "n")

    def __init__(self, state: Mapping[str, Any] | None) -> None:
        s = state if state and state.get("version") == VERSION else {}
        self.first: int | None = s.get("first")
        self.last: int | None = s.get("last")
        self.n = int(s.get("n", 0))
        self.halved: int | None = s.get("halved")
        self.model = TransitionModel.from_state(s.get("model"))
        self.done: list[str] = list(s.get("done") or [])
        self.ep: dict[str, Any] | None = s.get("ep")

    def learn(self, op: str, kinds: list[str], t: int, halve_days: int) -> None:
        if self.first is None:
            self.first = self.halved = t
        if self.halved is not None and t - self.halved >= halve_days * DAY:
            self.model.halve()
            self.halved = t
        self.last = t
        self.n += 1
        self.model.learn_one(op)
        self.done = sorted(set(self.done) | set(kinds))

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
