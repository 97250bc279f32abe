"""Compact in-memory records of simulated activity, rendered to the wire shapes only when written.

Ids are random 128-bit integers drawn when the event is made, so an attack can name its records in
``labels.json`` before anything is written. ``SignInEvent.id`` is the sign-in ``id`` (and the LA
``Id``), ``GraphCall.id`` the Graph activity ``RequestId``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vigil.simulate.catalog import ResourceApp
from vigil.simulate.networks import Network
from vigil.simulate.rand import fmt_guid, token_id
from vigil.simulate.tenant import Credential, Principal

#: ``MicrosoftGraphActivityLogs.ClientAuthMethod`` by the token's ``clientCredentialType``.
CLIENT_AUTH_METHOD = {"clientSecret": 1, "certificate": 2, "clientAssertion": 2,
                      "federatedIdentityCredential": 2, "managedIdentity": 2}


@dataclass(slots=True)
class SignInEvent:
    t: int
    sp: Principal
    ip: str
    network: Network
    resource: ResourceApp
    cred: Credential | None
    cred_type: str
    error: int
    user_agent: str | None
    rid: int
    corr: int

    @property
    def id(self) -> str:
        return fmt_guid(self.rid)

    @property
    def unique_token_identifier(self) -> str:
        return token_id(self.rid)

    @property
    def managed(self) -> bool:
        return self.sp.sp_type == "ManagedIdentity"


@dataclass(slots=True)
class GraphCall:
    t: int
    sp: Principal
    ip: str
    network: Network
    method: str
    uri: str
    status: int
    size: int
    duration: int
    user_agent: str | None
    rid: int
    token: SignInEvent
    api_version: str = "v1.0"

    @property
    def id(self) -> str:
        return fmt_guid(self.rid)


@dataclass(slots=True)
class AuditRecord:
    """A ``directoryAudit`` already in Graph's shape (``doc``) and its time for ordering."""

    t: int
    doc: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.doc["id"])


@dataclass(slots=True)
class Activity:
    """Everything the simulated tenant did, in generation order (writers sort by time)."""

    signins: list[SignInEvent] = field(default_factory=list)
    graph_calls: list[GraphCall] = field(default_factory=list)
    audits: list[AuditRecord] = field(default_factory=list)

    def sorted_signins(self) -> list[SignInEvent]:
        return sorted(self.signins, key=lambda e: (e.t, e.rid))

    def sorted_calls(self) -> list[GraphCall]:
        return sorted(self.graph_calls, key=lambda c: (c.t, c.rid))

    def sorted_audits(self) -> list[AuditRecord]:
        return sorted(self.audits, key=lambda a: (a.t, a.id))
