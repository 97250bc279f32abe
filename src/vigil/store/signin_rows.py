"""Sign-ins ↔ rows of ``sign_ins``: columns for what is queried, a short ``data`` for the rest.

A sign-in is mostly columns (id, principal, time, IP, country, ASN, credential...). ``data`` holds
the other fields as a positional JSON array headed by a format number,
``[1, service_principal_name, tenant_id, city, state, latitude, longitude, altitude, asn_org,
resource_display_name, resource_service_principal_id, credential_thumbprint,
federated_credential_id, msi_type, failure_reason, unique_token_identifier]``: about 250 bytes
where the whole model as a JSON object took 1,100, which halves what bulk ingest writes. Rows
written before this format hold the whole model as an object in ``data``; :func:`sign_in_from_row`
reads both.

``location`` is rebuilt from ``country`` and the location fields of ``data``; a location with no
field set is None (the normalizers never make an empty one).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
import orjson

from vigil.model import ClientCredentialType, Location, MsiType, SignIn, SignInKind
from vigil.normalize.fastbuild import fast_constructor
from vigil.store import rawcodec
from vigil.store.codec import from_doc
from vigil.store.tables import sign_ins
from vigil.store.types import from_micros, to_micros

#: Columns written by :func:`sign_in_row`, in its order.
SIGN_IN_COLUMNS = (
    "id", "kind", "service_principal_id", "created_at", "app_id", "ip_address", "country", "asn",
    "is_hosting", "resource_id", "client_credential_type", "credential_key_id", "error_code",
    "user_agent", "correlation_id", "data", "raw",
)  # fmt: skip
DATA_INDEX = SIGN_IN_COLUMNS.index("data")
#: What :func:`sign_in_from_row` reads, for ``select(*SIGN_IN_READ)``.
SIGN_IN_READ = tuple(sign_ins.c[name] for name in SIGN_IN_COLUMNS[:-1])

FORMAT = 1
_encode = msgspec.json.Encoder().encode
_make = fast_constructor(SignIn)
_KINDS = {k.value: k for k in SignInKind}
_CREDENTIALS = {c.value: c for c in ClientCredentialType}
_MSI = {m.value: m for m in MsiType}
_LOCATIONS: dict[tuple[Any, ...], Location] = {}


def sign_in_row(s: Any, raw: bytes | None) -> tuple[Any, ...]:
    """The row of a :class:`SignIn` (or anything with its attributes), raw compressed or None."""
    return values_row(
        (
            s.id, s.created_date_time, s.kind, s.service_principal_id, s.app_id,
            s.service_principal_name, s.tenant_id, s.ip_address, s.location, s.asn, s.asn_org,
            s.is_hosting, s.resource_id, s.resource_display_name, s.resource_service_principal_id,
            s.client_credential_type, s.credential_key_id, s.credential_thumbprint,
            s.federated_credential_id, s.msi_type, s.error_code, s.failure_reason, s.user_agent,
            s.correlation_id, s.unique_token_identifier,
        ),
        raw,
    )  # fmt: skip


def values_row(values: Sequence[Any], raw: bytes | None = None) -> tuple[Any, ...]:
    """The row of a sign-in given as its field values in :class:`SignIn`'s order (the bulk
    path's list, ``vigil.normalize.graph_signin_wire``), raw compressed or None."""
    (sid, created, kind, spid, app, name, tenant, ip, loc, asn, org, hosting, res, res_name,
     res_sp, cct, key, thumb, fic, msi, error, failure, ua, corr, uti) = values  # fmt: skip
    if loc is None:
        city = state = country = lat = lon = alt = None
    else:
        city, state, country = loc.city, loc.state, loc.country_or_region
        lat, lon, alt = loc.latitude, loc.longitude, loc.altitude
    data = _encode(
        (
            FORMAT, name, tenant, city, state, lat, lon, alt, org, res_name, res_sp, thumb, fic,
            None if msi is None else str(msi), failure, uti,  # str(): a StrEnum's value, in C
        )
    )  # fmt: skip
    return (
        sid,
        str(kind),
        spid,
        to_micros(created),
        app,
        ip,
        country,
        asn,
        hosting,
        res,
        None if cct is None else str(cct),
        key,
        error,
        ua,
        corr,
        data.decode(),
        None if raw is None else rawcodec.compress(raw),
    )


def sign_in_from_row(row: Any) -> SignIn:
    """The :class:`SignIn` of a row selected with :data:`SIGN_IN_READ` or made by
    :func:`sign_in_row` (time as datetime or µs, ``data`` decoded or as text)."""
    (sid, kind, sp, created, app, ip, country, asn, hosting, resource, cct, key, error, ua, corr,
     data) = row[: DATA_INDEX + 1]  # fmt: skip
    if type(data) is str:
        data = orjson.loads(data)
    if type(data) is dict:  # the whole model (rows written before the positional format)
        return from_doc(data, SignIn)
    if not data or data[0] != FORMAT:
        raise ValueError(f"sign-in {sid}: unknown data format {data[:1]!r}")
    (_, name, tenant, city, state, lat, lon, alt, org, res_name, res_sp, thumb, fed, msi, failure,
     uti) = data  # fmt: skip
    parts = (city, state, country, lat, lon, alt)
    location = _LOCATIONS.get(parts)
    if location is None and parts != (None,) * 6:
        location = Location(*parts)
        if len(_LOCATIONS) < 65_536:
            _LOCATIONS[parts] = location
    return _make(
        sid,
        created if isinstance(created, datetime) else from_micros(created),
        _KINDS[kind],
        sp,
        app,
        name,
        tenant,
        ip,
        location,
        asn,
        org,
        None if hosting is None else bool(hosting),
        resource,
        res_name,
        res_sp,
        None if cct is None else _CREDENTIALS[cct],
        key,
        thumb,
        fed,
        None if msi is None else _MSI[msi],
        error,
        failure,
        ua,
        corr,
        uti,
    )
