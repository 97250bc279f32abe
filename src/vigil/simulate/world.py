"""Everything one simulation run produces before it is written: tenant, activity, intel, files, labels.

Also the bookkeeping the generators share: claiming principals so no principal is the victim of two
scenarios or both a victim and a benign change, and numbering labels, changes and decoys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from vigil.simulate.config import SimConfig, SimulationError
from vigil.simulate.events import Activity, AuditRecord, GraphCall, SignInEvent
from vigil.simulate.gitrepo import BareRepo
from vigil.simulate.labels import BenignChange, Decoy, Label, LabelSet, at
from vigil.simulate.rand import Rand
from vigil.simulate.stix import Indicator
from vigil.simulate.tenant import Principal, Tenant


@dataclass(frozen=True, slots=True)
class RepoFile:
    """A plain file under ``repos/``; its modification time is set to ``time`` (when it leaked)."""

    path: str
    content: str
    time: int


@dataclass(slots=True)
class World:
    cfg: SimConfig
    tenant: Tenant
    activity: Activity = field(default_factory=Activity)
    labels: LabelSet = field(init=False)
    indicators: list[Indicator] = field(default_factory=list)
    files: list[RepoFile] = field(default_factory=list)
    repos: dict[str, BareRepo] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.labels = LabelSet(seed=self.cfg.seed, tenant_id=self.tenant.id,
                               start=at(self.cfg.start_ms), end=at(self.cfg.end_ms),
                               shape=self.cfg.shape)

    def rng(self, *names: object) -> Rand:
        return Rand.derive(self.cfg.seed, *names)

    # -- claiming victims ------------------------------------------------------------------------

    def candidates(self, test: Callable[[Principal], bool]) -> list[Principal]:
        return [p for p in self.tenant.principals if p.claimed_by is None and test(p)]

    def claim(self, rng: Rand, owner: str, test: Callable[[Principal], bool], n: int = 1,
              *, optional: bool = False) -> list[Principal]:
        """``n`` unclaimed principals passing ``test``, now owned by ``owner``.

        Too few candidates raise :class:`SimulationError`, or with ``optional`` give ``[]``.
        """
        pool = self.candidates(test)
        if len(pool) < n and optional:
            return []
        if len(pool) < n:
            raise SimulationError(
                f"{owner} needs {n} more suitable service principals; use a larger --sps "
                f"(at least 40 for every scenario)"
            )
        chosen = rng.sample(pool, n)
        for p in chosen:
            p.claimed_by = owner
        return chosen

    # -- recording -------------------------------------------------------------------------------

    def add(self, items: Iterable[SignInEvent | GraphCall | AuditRecord]) -> None:
        for item in items:
            if isinstance(item, SignInEvent):
                self.activity.signins.append(item)
            elif isinstance(item, GraphCall):
                self.activity.graph_calls.append(item)
            else:
                self.activity.audits.append(item)

    def label(self, risk_event_type: str, sp: Principal, scenario: str, variant: str,
              evidence: Sequence[SignInEvent | GraphCall | AuditRecord], *,
              start: int | None = None, end: int | None = None,
              required: bool = True, description: str = "", key_ids: tuple[str, ...] = (),
              files: tuple[dict[str, Any], ...] = (),
              extra: dict[str, tuple[str, ...]] | None = None) -> Label:
        """Label ``sp``; ``start``/``end`` default to the first/last evidence record's time."""
        records: dict[str, list[str]] = {}
        times = []
        for item in evidence:
            if isinstance(item, SignInEvent):
                kind = "managedIdentitySignIns" if item.managed else "signIns"
            elif isinstance(item, GraphCall):
                kind = "graphActivities"
            else:
                kind = "directoryAudits"
            records.setdefault(kind, []).append(item.id)
            times.append(item.t)
        for kind, ids in (extra or {}).items():
            records.setdefault(kind, []).extend(ids)
        lo = start if start is not None else min(times)
        hi = end if end is not None else max([*times, lo])
        lb = Label(id=f"L{len(self.labels.labels) + 1:03d}", risk_event_type=risk_event_type,
                   service_principal_id=sp.id, service_principal_display_name=sp.display_name,
                   scenario=scenario, variant=variant, start=at(lo), end=at(hi),
                   required=required, description=description, key_ids=key_ids,
                   records={k: tuple(v) for k, v in records.items()}, files=files)
        self.labels.labels.append(lb)
        return lb

    def benign(self, kind: str, sp: Principal, t: int, initiated_by: str, description: str,
               audits: list[AuditRecord]) -> None:
        self.labels.benign_changes.append(BenignChange(
            id=f"B{len(self.labels.benign_changes) + 1:03d}", kind=kind,
            service_principal_id=sp.id, service_principal_display_name=sp.display_name,
            time=at(t), initiated_by=initiated_by, description=description,
            audit_ids=tuple(a.id for a in audits)))

    def decoy(self, kind: str, t: int, description: str, sp: Principal | None = None,
              key_ids: tuple[str, ...] = (), records: dict[str, tuple[str, ...]] | None = None,
              files: tuple[dict[str, Any], ...] = ()) -> None:
        self.labels.decoys.append(Decoy(
            id=f"D{len(self.labels.decoys) + 1:03d}", kind=kind, time=at(t),
            description=description, service_principal_id=sp.id if sp else None,
            key_ids=key_ids, records=records or {}, files=files))

    def attack_time(self, rng: Rand, latest_margin: int = 0) -> int:
        """A time in the attack window, on a whole second."""
        lo, hi = self.cfg.attack_window
        t = lo + rng.randrange(max(hi - latest_margin - lo, 1))
        return t - t % 1000
