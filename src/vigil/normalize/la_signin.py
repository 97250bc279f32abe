"""Log Analytics sign-in rows → :class:`SignIn` (spec §5.2, §5.3).

Tables ``AADServicePrincipalSignInLogs`` and ``AADManagedIdentitySignInLogs``, as JSON rows (API /
``az monitor log-analytics query``) or CSV exports (every cell a string, dynamic columns as JSON
text). Columns used:

``Id`` (required), ``CreatedDateTime`` else ``TimeGenerated`` (required), ``ServicePrincipalId``
(required), ``AppId``, ``ServicePrincipalName``, ``AADTenantId`` else the tenant in ``ResourceId``
(``TenantId`` is the *workspace* id and is ignored), ``IPAddress``, ``LocationDetails`` (JSON),
``AutonomousSystemNumber``, ``ResourceIdentity`` (the resource's appId; ``ResourceId`` is the ARM
id), ``ResourceDisplayName``, ``ResourceServicePrincipalId``, ``ClientCredentialType`` (any case or
spacing), ``ServicePrincipalCredentialKeyId``, ``ServicePrincipalCredentialThumbprint``,
``FederatedCredentialId``, ``ManagedServiceIdentity`` (JSON or a bare msiType), ``ResultType`` /
``ResultSignature`` / ``ResultDescription``, ``UserAgent``, ``CorrelationId``,
``UniqueTokenIdentifier``; ``Type`` (the table) else ``Category`` for the kind. GUID-valued
columns (``Id``, ``ServicePrincipalId``, ``AppId``, ``ResourceIdentity``,
``ResourceServicePrincipalId``, ``FederatedCredentialId``, ``CorrelationId``, the tenant) are
lower-cased when they are GUIDs, as Graph writes them (a ``toupper()`` in a query, a spreadsheet):
:func:`vigil.normalize.values.canonical_guid`.

Error code: ``ResultType`` holds the code (``"0"`` = success) in observed data, but the docs say
``Success`` / ``Failure``; for ``Failure`` the code comes from ``ResultSignature``, else from an
``AADSTS<code>`` prefix of ``ResultDescription``, else it is ``-1`` (failed, code unknown).
"""

from __future__ import annotations

from typing import Any

from vigil.model import SignIn, SignInKind
from vigil.normalize.diagnostic import SIGNIN_CATEGORIES
from vigil.normalize.fastbuild import fast_constructor
from vigil.normalize.graph_signin import KIND, location_from, signin_kind
from vigil.normalize.rejected import Invalid, Rejected, quote
from vigil.normalize.timestamps import parse_time
from vigil.normalize.values import (
    canonical_ip,
    check_strs,
    credential_type,
    guid,
    json_value,
    lower_id,
    msi_type,
    opt_guid,
    opt_int,
    req_guid,
    tenant_from_resource_id,
    upper_hex,
)

#: Table name → workload kind.
TABLE_KINDS: dict[str, SignInKind] = {
    "AADServicePrincipalSignInLogs": SignInKind.servicePrincipal,
    "AADManagedIdentitySignInLogs": SignInKind.managedIdentity,
}
#: Code used for a failure whose error code the row does not give.
UNKNOWN_FAILURE = -1

_make_signin = fast_constructor(SignIn)
_PLAIN = (
    "AppId",
    "ServicePrincipalName",
    "ResourceDisplayName",
    "ResourceServicePrincipalId",
    "FederatedCredentialId",
    "UserAgent",
    "CorrelationId",
    "UniqueTokenIdentifier",
    "AADTenantId",
    "ResultDescription",
)


def normalize_la_signin(
    data: dict[str, Any], *, kind: SignInKind | None = None
) -> SignIn | Rejected:
    """Normalize one Log Analytics sign-in row; never raises.

    The kind is ``kind`` if given, else the ``Type`` column's table, else the ``Category`` column's
    diagnostic category (``ManagedIdentitySignInLogs``: a hunting export may drop ``Type`` but
    keep it), else managed identity when ``ManagedServiceIdentity`` / ``ClientCredentialType`` say
    so, else service principal.
    """
    try:
        return _signin(data, kind)
    except Invalid as exc:
        return exc.rejected(KIND)
    except Exception as exc:  # the contract is "never raises": report, don't crash
        return Rejected(KIND, f"unexpected {type(exc).__name__}: {exc}", None)


def _signin(row: dict[str, Any], kind: SignInKind | None) -> SignIn:
    g = row.get
    sid = req_guid(g("Id"), "Id")
    created_raw = g("CreatedDateTime") or g("TimeGenerated")
    created = parse_time(
        created_raw, "CreatedDateTime" if g("CreatedDateTime") else "TimeGenerated"
    )
    spid = req_guid(g("ServicePrincipalId"), "ServicePrincipalId")
    plain = tuple(g(name) for name in _PLAIN)
    check_strs(_PLAIN, plain)
    app_id, name, res_name, res_spid, fic, agent, corr, uti, tenant, description = (
        value or None for value in plain
    )
    app_id, res_spid, fic, corr, tenant = map(guid, (app_id, res_spid, fic, corr, tenant))
    msi_kind = _msi(g("ManagedServiceIdentity"))
    cct = credential_type(g("ClientCredentialType"), "ClientCredentialType")
    if kind is None:
        table = g("Type")
        kind = TABLE_KINDS.get(table) if type(table) is str else None
    if kind is None:
        category = g("Category")
        kind = SIGNIN_CATEGORIES.get(category) if type(category) is str else None
    if kind is None:
        kind = signin_kind(None, msi_kind, cct)
    error_code = result_code(g("ResultType"), g("ResultSignature"), description)
    return _make_signin(
        sid,
        created,
        kind,
        spid,
        app_id,
        name,
        tenant or tenant_from_resource_id(g("ResourceId")),
        canonical_ip(g("IPAddress"), "IPAddress"),
        location_from(json_value(g("LocationDetails"), "LocationDetails"), "LocationDetails"),
        opt_int(g("AutonomousSystemNumber"), "AutonomousSystemNumber") or None,
        None,
        None,
        opt_guid(g("ResourceIdentity"), "ResourceIdentity"),
        res_name,
        res_spid,
        cct,
        lower_id(g("ServicePrincipalCredentialKeyId"), "ServicePrincipalCredentialKeyId"),
        upper_hex(
            g("ServicePrincipalCredentialThumbprint"), "ServicePrincipalCredentialThumbprint"
        ),
        fic,
        msi_kind,
        error_code,
        description if error_code else None,
        agent,
        corr,
        uti,
    )


def _msi(value: object) -> Any:
    if type(value) is str and not value.lstrip().startswith("{"):
        return msi_type(value, "ManagedServiceIdentity")
    parsed = json_value(value, "ManagedServiceIdentity")
    if parsed is None:
        return None
    if type(parsed) is not dict:
        raise Invalid("ManagedServiceIdentity", f"expected an object, got {quote(parsed)}")
    return msi_type(parsed.get("msiType"), "ManagedServiceIdentity.msiType")


def result_code(result_type: object, signature: object, description: str | None) -> int:
    """The sign-in error code from ``ResultType`` (code, ``Success`` or ``Failure``)."""
    code = opt_int(result_type, "ResultType") if not _is_word(result_type) else None
    if code is not None:
        return code
    if result_type is None or result_type == "":
        return 0
    word = str(result_type).strip().lower()
    if word == "success":
        return 0
    if word != "failure":
        raise Invalid("ResultType", f"unrecognised result {quote(result_type)}")
    sig = signature.strip() if type(signature) is str else signature
    if type(sig) is int or (type(sig) is str and sig.lstrip("-").isdigit()):
        return int(sig)
    if description and description.startswith("AADSTS"):
        digits = description[6:].split(":", 1)[0].strip()
        if digits.isdigit():
            return int(digits)
    return UNKNOWN_FAILURE


def _is_word(value: object) -> bool:
    return type(value) is str and value.strip().isalpha()
