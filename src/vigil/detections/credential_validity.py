"""Whether a credential keyId is one of a principal's credentials, and whether it is valid now.

"Currently valid" (the leakedCredentials contract): present in the newest inventory snapshot of the
service principal or of its application (not removed), started, and not expired at the given time.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from vigil.model import Application, KeyCredential, PasswordCredential, ServicePrincipal

Credential = PasswordCredential | KeyCredential


class Validity(StrEnum):
    valid = "valid"
    expired = "expired"
    not_yet_valid = "notYetValid"
    removed = "removed"  # not (or no longer) among the principal's credentials


def credentials_of(
    sp: ServicePrincipal | None, app: Application | None
) -> tuple[Credential, ...]:
    """Password and key credentials on the service principal and on its application."""
    found: list[Credential] = []
    for owner in (sp, app):
        if owner is not None:
            found.extend(owner.password_credentials)
            found.extend(owner.key_credentials)
    return tuple(found)


def find_credential(
    sp: ServicePrincipal | None, app: Application | None, key_id: str
) -> Credential | None:
    key_id = key_id.lower()
    return next((c for c in credentials_of(sp, app) if c.key_id == key_id), None)


def validity(credential: Credential | None, at: datetime) -> Validity:
    if credential is None:
        return Validity.removed
    if credential.end_date_time is not None and credential.end_date_time <= at:
        return Validity.expired
    if credential.start_date_time is not None and credential.start_date_time > at:
        return Validity.not_yet_valid
    return Validity.valid
