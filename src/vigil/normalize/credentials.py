"""Graph credential collections → model credentials (spec §10.2, §10.3).

* ``passwordCredential`` → :class:`PasswordCredential` (``keyId`` lower-cased without braces,
  ``hint`` kept; the secret text, if an export carries it, is never read).
* ``keyCredential`` → :class:`KeyCredential`. ``thumbprint`` comes from ``customKeyIdentifier``
  (Graph Binary, i.e. base64): when it decodes to 20 bytes (a SHA-1 digest) the thumbprint is
  their upper-case hex; otherwise, when the raw value is already 40 hex characters, it is that
  value upper-cased; otherwise None. The certificate itself (``key``) is not read.
* ``federatedIdentityCredential`` → :class:`FederatedIdentityCredential`.

``keyId`` (and a FIC's ``id``, ``name``, ``issuer``, ``subject``) are required: a credential
without them cannot be matched to a sign-in, so the whole object is rejected, naming the field.
"""

from __future__ import annotations

import base64
import binascii

from vigil.model import FederatedIdentityCredential, KeyCredential, PasswordCredential
from vigil.normalize.timestamps import parse_optional_time
from vigil.normalize.values import canonical_key_id, objects, opt_str, req_str, str_tuple

_HEX = frozenset("0123456789abcdefABCDEF")


def thumbprint_from(custom_key_identifier: str | None) -> str | None:
    """SHA-1 thumbprint (40 upper-case hex chars) from Graph's ``customKeyIdentifier``, or None."""
    if not custom_key_identifier:
        return None
    text = custom_key_identifier.strip()
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) == 20:
        return raw.hex().upper()
    if len(text) == 40 and _HEX.issuperset(text):
        return text.upper()
    return None


def password_credentials(value: object, field: str) -> tuple[PasswordCredential, ...]:
    creds = []
    for f, item in objects(value, field):
        g = item.get
        creds.append(
            PasswordCredential(
                key_id=canonical_key_id(req_str(g("keyId"), f + ".keyId")) or "",
                display_name=opt_str(g("displayName"), f + ".displayName"),
                hint=opt_str(g("hint"), f + ".hint"),
                start_date_time=parse_optional_time(g("startDateTime"), f + ".startDateTime"),
                end_date_time=parse_optional_time(g("endDateTime"), f + ".endDateTime"),
            )
        )
    return tuple(creds)


def key_credentials(value: object, field: str) -> tuple[KeyCredential, ...]:
    creds = []
    for f, item in objects(value, field):
        g = item.get
        creds.append(
            KeyCredential(
                key_id=canonical_key_id(req_str(g("keyId"), f + ".keyId")) or "",
                display_name=opt_str(g("displayName"), f + ".displayName"),
                type=opt_str(g("type"), f + ".type"),
                usage=opt_str(g("usage"), f + ".usage"),
                thumbprint=thumbprint_from(
                    opt_str(g("customKeyIdentifier"), f + ".customKeyIdentifier")
                ),
                start_date_time=parse_optional_time(g("startDateTime"), f + ".startDateTime"),
                end_date_time=parse_optional_time(g("endDateTime"), f + ".endDateTime"),
            )
        )
    return tuple(creds)


def federated_credentials(value: object, field: str) -> tuple[FederatedIdentityCredential, ...]:
    creds = []
    for f, item in objects(value, field):
        g = item.get
        creds.append(
            FederatedIdentityCredential(
                id=req_str(g("id"), f + ".id").strip().lower(),
                name=req_str(g("name"), f + ".name"),
                issuer=req_str(g("issuer"), f + ".issuer"),
                subject=req_str(g("subject"), f + ".subject"),
                audiences=str_tuple(g("audiences"), f + ".audiences"),
            )
        )
    return tuple(creds)
