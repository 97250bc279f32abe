"""What admins decided about a detector's earlier detections: the feedback a detector learns from.

A behavioural detector does not learn what it flagged medium or high (protected learning), so an
attacker's activity never becomes familiar. An admin who dismisses the detection says that the
activity was benign: the detector then learns it, and the same properties do not bring the
principal back to ``atRisk`` at their next use (a weekly job from a new region, say). Nothing
that an admin confirmed compromised or remediated is learned, even when the admin dismissed
the principal's risk afterwards (which closes a confirmed detection as dismissed).

An admin's verdict also ends the detection's episode: a later suspicious record starts a new
detection, so the principal is at risk again, instead of growing the closed one in place (where
it would stay dismissed, unseen, for as long as suspicious records kept coming).

A verdict applies to records later than the detection's evidence as stored, its last record's
time (:attr:`Verdict.last`): records inside it are handled as when they were first ingested. So
``vigil detect --rebuild``, which replays the store with the admins' verdicts already recorded,
gives the same detections as the ingest did, before and after the verdict. What a verdict
teaches (a dismissed episode's records learned) waits for a record later than the verdict too
(:meth:`Verdict.teaches`): the ingest scored the records up to it without the verdict, and a
rebuild that learned them sooner would find other detections (a job run again before an admin
answered, say).

:class:`Verdicts` asks the store once per detection and batch, and only for the few principals
that hold flagged records or a running episode; the detectors' hot path never reaches it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vigil.detections.base import DetectionContext
from vigil.model import RiskDetection, RiskState, detection_id

#: Closed states that say the activity was benign.
_BENIGN = (RiskState.dismissed, RiskState.confirmedSafe)


@dataclass(frozen=True, slots=True)
class Verdict:
    """An admin's verdict on a closed detection: ``dismissed`` (or confirmed safe: benign, learn
    its records) or not (remediated: never learn them); ``last`` is the epoch second of the
    last record in its stored evidence, ``decided`` that of the verdict (the detection's
    ``lastUpdatedDateTime``). Records up to ``decided`` were scored before the verdict when they
    were ingested: a rebuild learns nothing from it before a record past both."""

    dismissed: bool
    last: int
    decided: int = 0

    def teaches(self, t: int) -> bool:
        """Whether a record at ``t`` comes after the evidence and the verdict both."""
        return t > self.last and t > self.decided


class Verdicts:
    """The verdicts on one detector's detections, looked up by episode (module doc).

    ``last_key`` names the ``additionalInfo`` entry that holds the ISO time of the detection's
    last record (e.g. ``lastSignIn``). A detection without it (recorded before the detector
    wrote it) has no verdict here: where its evidence ended is not known.
    """

    def __init__(self, ctx: DetectionContext, risk_event_type: str, last_key: str) -> None:
        self._ctx = ctx
        self._type = risk_event_type
        self._last_key = last_key
        self._seen: dict[str, Verdict | None] = {}
        self._confirmed: dict[str, list[datetime]] = {}
        self._ids: dict[tuple[str, str], str] = {}  # (principal, episode) → detection id

    def of(self, sp_id: str, episode_ids: Iterable[str]) -> dict[str, Verdict]:
        """The verdicts on the detections of ``sp_id``'s episodes ``episode_ids`` that are
        closed, by episode id (open or not yet recorded ones are left out)."""
        ids = {e: self._id(sp_id, e) for e in episode_ids}
        missing = [d for d in ids.values() if d not in self._seen]
        if missing:
            found = self._ctx.detections(missing)
            for d in missing:
                self._seen[d] = self._verdict(found.get(d))
        out = {}
        for episode, d in ids.items():
            verdict = self._seen[d]
            if verdict is not None:
                out[episode] = verdict
        return out

    def _id(self, sp_id: str, episode: str) -> str:
        key = (sp_id, episode)
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = detection_id(self._type, sp_id, episode)
        return found

    def ended(self, sp_id: str, episode: Mapping[str, Any], t: int) -> Verdict | None:
        """The verdict that ends ``sp_id``'s running ``episode`` (its state) for a record at
        ``t``: one on its detection, closed with evidence ending before ``t``; else None."""
        verdict = self.of(sp_id, [str(episode["id"])]).get(str(episode["id"]))
        return verdict if verdict is not None and t > verdict.last else None

    def _verdict(self, d: RiskDetection | None) -> Verdict | None:
        if d is None or d.is_open:
            return None
        for entry in d.additional_info:
            if entry.key == self._last_key and isinstance(entry.value, str):
                try:
                    last = datetime.fromisoformat(entry.value)
                except ValueError:
                    return None
                benign = d.risk_state in _BENIGN and not self._confirmed_while_open(d)
                return Verdict(benign, int(last.timestamp()),
                               int(d.last_updated_date_time.timestamp()))
        return None

    def _confirmed_while_open(self, d: RiskDetection) -> bool:
        """Whether an admin confirmed ``d``'s principal compromised between its detection and
        its closing (its ``lastUpdatedDateTime``): a dismissal then closed a detection confirmed
        compromised (after a credential rotation, say), which is no benign verdict."""
        sp = d.service_principal_id
        times = self._confirmed.get(sp)
        if times is None:
            times = self._confirmed[sp] = self._ctx.confirmations(sp)
        return any(d.detected_date_time <= at <= d.last_updated_date_time for at in times)
