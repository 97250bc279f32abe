"""Authorized changes in the audit log, and the re-learning windows they open for sign-ins.

An administrator rotating a secret, moving a workload or granting a permission changes how the
principal signs in. ``suspiciousSignins`` must not call that suspicious, so each *authorized*
change opens a window of ``window_hours`` (default 72) from the change's time during which the
sign-in properties the change explains are learned as they come instead of being scored.

Authorized: the audit record succeeded and its actor is trusted. Users are trusted (all of them
by default, or those listed in ``trusted_users`` by id or UPN); service principals only when
listed in ``trusted_apps`` by id or display name (default: ``Managed Service Identity``, the
platform actor that rotates managed-identity certificates). A change made by an untrusted service
principal explains nothing: that is what ``anomalousServicePrincipalActivity`` looks at.

==========================================================  ===========================================
change (activity)                                           explains
==========================================================  ===========================================
credential added: ``Update application – Certificates and   ``key``, ``ct`` (a new credential, maybe
secrets management``, ``Add service principal credentials``  of a new type)
federated credential added: ``Update application`` with     ``key``, ``ct``, the network (``ip``,
``FederatedIdentityCredentials``, or an activity naming     ``net``, ``asn``, ``cc``, ``host``) and the
a federated identity credential                             user agent (``uaf``, ``ua``): the workload
                                                            now runs on the federated platform
app updated: any other ``Update application`` / ``Update    the network, the user agent and ``res``
service principal``                                         (a deployment or migration)
permission granted: ``Add app role assignment to service    ``res`` (it starts calling the resource)
principal``, ``Add delegated permission grant``, ``Consent
to application`` (on the client principal)
==========================================================  ===========================================

A window is keyed by the principal it concerns: ``sp:<servicePrincipalId>`` when the record names
the service principal, ``app:<appId>`` when it names the application. :class:`ChangeWindows` keeps
them per key in the detector's state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vigil.detections.audit_fields import app_id_of, prop_names, prop_text
from vigil.detections.base import DetectionContext
from vigil.detections.signin_features import NETWORK
from vigil.model import AuditEvent, Initiator
from vigil.normalize.audit import activity_key

CREDENTIAL = ("key", "ct")
USER_AGENT = ("uaf", "ua")
FEDERATION = (*CREDENTIAL, *NETWORK, *USER_AGENT)
DEPLOYMENT = (*NETWORK, *USER_AGENT, "res")
PERMISSION = ("res",)

_CREDENTIAL_ACTIVITIES = frozenset(
    activity_key(a)
    for a in ("Update application - Certificates and secrets management",
              "Add service principal credentials")
)
_UPDATES = frozenset(activity_key(a) for a in ("Update application", "Update service principal"))
_PERMISSIONS = frozenset(
    activity_key(a)
    for a in ("Add app role assignment to service principal", "Add delegated permission grant",
              "Consent to application")
)


@dataclass(frozen=True, slots=True)
class Trust:
    """Who may change applications without it being suspicious (see the module docstring)."""

    users: frozenset[str] = frozenset()
    apps: frozenset[str] = frozenset({"Managed Service Identity"})

    def trusts(self, who: Initiator | None) -> bool:
        if who is None:
            return False
        if who.kind == "user":
            return not self.users or bool(
                {who.id, who.user_principal_name, (who.user_principal_name or "").lower()}
                & self.users
            )
        return bool({who.service_principal_id, who.display_name} & self.apps)


@dataclass(frozen=True, slots=True)
class Change:
    id: str
    time: int
    keys: tuple[str, ...]
    explains: tuple[str, ...]
    what: str


def _actor(who: Initiator | None) -> str:
    if who is None:
        return "unknown"
    return who.user_principal_name or who.display_name or who.id or who.kind


def authorized_change(event: AuditEvent, trust: Trust) -> Change | None:
    """The window-opening change ``event`` records, or None (see the module docstring)."""
    if (event.result or "success").casefold() != "success" or not trust.trusts(event.initiated_by):
        return None
    key = activity_key(event.activity_display_name)
    keys: list[str] = []
    if key in _PERMISSIONS:
        explains = PERMISSION
        for t in event.targets:
            client = prop_text(t, "ServicePrincipal.ObjectID")
            client_app = prop_text(t, "ServicePrincipal.AppId")
            if client:
                keys.append(f"sp:{client.lower()}")
            if client_app:
                keys.append(f"app:{client_app.lower()}")
            if key == activity_key("Consent to application") and t.id:
                keys.append(f"sp:{t.id.lower()}")
    else:
        if key in _CREDENTIAL_ACTIVITIES:
            explains = CREDENTIAL
        elif "federated" in key:
            explains = FEDERATION
        elif key in _UPDATES:
            names = set().union(*(prop_names(t) for t in event.targets)) if event.targets else set()
            explains = FEDERATION if "FederatedIdentityCredentials" in names else DEPLOYMENT
        else:
            return None
        for t in event.targets:
            if (t.type or "").casefold() == "serviceprincipal" and t.id:
                keys.append(f"sp:{t.id.lower()}")
            app_id = app_id_of(event, t)
            if app_id:
                keys.append(f"app:{app_id}")
    if not keys:
        return None
    when = event.activity_date_time
    what = (f"'{event.activity_display_name.strip()}' by {_actor(event.initiated_by)} at "
            f"{when.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    return Change(event.id, int(when.timestamp()), tuple(dict.fromkeys(keys)), explains, what)


class ChangeWindows:
    """The open re-learning windows, kept per principal key in the detector's state.

    One state per key (``<prefix><key>``: ``{"version": 1, "w": [[start, end, [features], what,
    auditId], ...]}``, sorted by start) and one index (``{"version": 2, "keys": {key: latest
    end}}``), so a batch reads the windows of the principals it scores or that signed in while
    they have open windows, not every open window, and no count bounds them: an audit backfill of
    any size ingested before the sign-ins it explains keeps every window. A window goes once a
    sign-in of its principal passes its end, and the key with its last one (one principal's
    sign-ins arrive in time order; principals may interleave in any order,
    e.g. all managed-identity sign-ins before the others); the windows of a principal that never
    signs in stay, a few hundred bytes per authorized change. Adding the same change twice changes
    nothing. Version 1 of the index held every window in itself; it is split on first load.
    Call :meth:`save` at the end of the batch.
    """

    VERSION = 2
    WINDOWS_VERSION = 1

    def __init__(self, ctx: DetectionContext, detector: str, index_key: str) -> None:
        self._ctx, self._detector, self._index_key = ctx, detector, index_key
        self._prefix = f"{index_key}:"
        self.ends: dict[str, int] = {}
        self._lists: dict[str, list[list[Any]]] = {}
        self._changed: set[str] = set()
        self.dirty = False
        state = ctx.load_state(detector, index_key) or {}
        if state.get("version") == self.VERSION:
            self.ends = {str(k): int(v) for k, v in dict(state.get("keys") or {}).items()}
        elif state.get("version") == 1:  # every window in the index itself: split it
            for key, items in dict(state.get("w") or {}).items():
                if items:
                    self._lists[str(key)] = [list(i) for i in items]
                    self.ends[str(key)] = max(int(i[1]) for i in items)
                    self._changed.add(str(key))
            self.dirty = True

    def __bool__(self) -> bool:
        return bool(self.ends)

    def _items(self, key: str) -> list[list[Any]]:
        items = self._lists.get(key)
        if items is None:
            state = self._ctx.load_state(self._detector, self._prefix + key) or {}
            ok = state.get("version") == self.WINDOWS_VERSION
            items = self._lists[key] = [list(i) for i in state.get("w") or ()] if ok else []
        return items

    def add(self, change: Change, hours: float) -> None:
        end = change.time + int(hours * 3600)
        for key in change.keys:
            items = self._items(key)
            if any(item[4] == change.id for item in items):
                continue
            items.append([change.time, end, list(change.explains), change.what, change.id])
            items.sort(key=lambda item: (item[0], item[4]))
            self.ends[key] = max(self.ends.get(key, end), end)
            self._changed.add(key)
            self.dirty = True

    def explained(self, sp_id: str, app_id: str | None, t: int) -> dict[str, str]:
        """Feature → the change that explains it, for a sign-in at ``t`` (earliest change first)."""
        out: dict[str, str] = {}
        for key in (f"sp:{sp_id.lower()}", f"app:{(app_id or '').lower()}"):
            if self.ends.get(key, -1) < t:
                continue  # no window of this key reaches t (none at all, mostly): nothing to read
            for start, end, feats, what, _ in self._items(key):
                if start <= t <= end:
                    for f in feats:
                        out.setdefault(f, what)
        return out

    def passed(self, sp_id: str, app_id: str | None, t: int) -> None:
        """Drop the principal's windows that ended before ``t``, its latest sign-in (all of them,
        and the key, once ``t`` is past the latest end): a principal changed more often than
        windows last keeps only its open ones."""
        for key in (f"sp:{sp_id.lower()}", f"app:{(app_id or '').lower()}"):
            end = self.ends.get(key)
            if end is None:
                continue
            if end < t:
                del self.ends[key]
                self._lists[key] = []
                self._changed.add(key)
                self.dirty = True
                continue
            items = self._items(key)
            kept = [item for item in items if item[1] >= t]
            if len(kept) < len(items):
                self._lists[key] = kept
                self._changed.add(key)

    def save(self) -> None:
        """Write the windows changed in this batch and the index."""
        for key in sorted(self._changed):
            self._ctx.save_state(self._detector, self._prefix + key,
                                 {"version": self.WINDOWS_VERSION, "w": self._lists[key]})
        self._changed.clear()
        if self.dirty:
            self._ctx.save_state(self._detector, self._index_key,
                                 {"version": self.VERSION, "keys": self.ends})
            self.dirty = False
