"""From a candidate to a verdict: registered? which credential? valid now?

Verdicts: ``leaked`` (a registered secret or a private key that completes a certificate, whose
credential is valid now: becomes a finding), and the decoys counted in the scan summary:
``unknown`` (well-formed, matches no registered secret), ``badChecksum`` (an ``8Q~`` string whose
checksum fails and that matches no registered secret), ``expired``, ``notYetValid``, ``removed``
(registered, but no longer on any principal in the newest inventory). A candidate with a bad
checksum is compared only with registered secrets that fail the checksum themselves, so
Microsoft's checksum still filters typos without hiding a registered secret that lacks it.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from vigil.detections.credential_validity import Credential, Validity, validity
from vigil.leaks.entra_secret import Shape
from vigil.leaks.registry import RegisteredSecret
from vigil.model import Application, ServicePrincipal


@dataclass(frozen=True, slots=True)
class Owner:
    service_principal: ServicePrincipal | None
    application: Application | None
    credential: Credential

    @property
    def service_principal_id(self) -> str | None:
        return self.service_principal.id if self.service_principal else None

    @property
    def app_id(self) -> str | None:
        if self.service_principal is not None:
            return self.service_principal.app_id
        return self.application.app_id if self.application else None


class CredentialIndex:
    """Where each credential keyId and certificate thumbprint lives in the inventory."""

    def __init__(self, sps: Iterable[ServicePrincipal], apps: Iterable[Application]) -> None:
        by_app = {sp.app_id: sp for sp in sps}
        self.by_key: dict[str, Owner] = {}
        self.by_thumbprint: dict[str, Owner] = {}
        for app in apps:
            self._add(by_app.get(app.app_id), app, (*app.password_credentials, *app.key_credentials))
        for sp in by_app.values():
            self._add(sp, None, (*sp.password_credentials, *sp.key_credentials))

    def _add(self, sp: ServicePrincipal | None, app: Application | None,
             creds: Iterable[Credential]) -> None:
        for c in creds:
            owner = Owner(sp, app, c)
            self.by_key.setdefault(c.key_id.lower(), owner)
            thumb = getattr(c, "thumbprint", None)
            if thumb:
                self.by_thumbprint.setdefault(thumb.upper(), owner)


def lookup_secret(shape: Shape, hint: str, digest: str,
                  by_digest: Callable[[str], list[RegisteredSecret]],
                  by_hint: Callable[[str, str], list[RegisteredSecret]]) -> RegisteredSecret | None:
    """The registered secret a candidate equals, compared in constant time."""
    bad = shape is Shape.bad_checksum
    candidates = by_hint(hint, Shape.bad_checksum.value) if bad else by_digest(digest)
    return next((r for r in candidates if hmac.compare_digest(r.digest, digest)), None)


def verdict(owner: Owner | None, at: datetime) -> str:
    """``leaked`` when the credential is valid at ``at``, else the decoy kind."""
    if owner is None or owner.service_principal is None:
        return Validity.removed.value
    v = validity(owner.credential, at)
    return "leaked" if v is Validity.valid else v.value
