"""Graph-style JSON responses: the OData content type, ``@odata.context``, ``Prefer`` handling.

``Prefer: include-unknown-enum-members`` (``shared/spec`` §1.3) makes evolvable enum members
appear as themselves instead of ``unknownFutureValue``; when honoured the response says so with
``Preference-Applied``, as Graph does. Bodies are encoded with orjson.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from vigil.api.shapes import Version

#: What Graph sends for JSON payloads.
ODATA_JSON = (
    "application/json;odata.metadata=minimal;odata.streaming=true;"
    "IEEE754Compatible=false;charset=utf-8"
)
INCLUDE_UNKNOWN = "include-unknown-enum-members"


def include_unknown(request: Request) -> bool:
    """True when a ``Prefer`` header asks for evolvable enum members (RFC 7240 §2)."""
    for value in request.headers.getlist("prefer"):
        for pref in value.split(","):
            if pref.split(";", 1)[0].strip().lower() == INCLUDE_UNKNOWN:
                return True
    return False


def preference_headers(applied: bool) -> dict[str, str]:
    return {"Preference-Applied": INCLUDE_UNKNOWN} if applied else {}


def base_url(request: Request, public_url: str | None) -> str:
    """The absolute URL clients reach this server at (settings ``api.public_url`` wins)."""
    if public_url:
        return public_url.rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}"


def context_url(base: str, version: Version, entity_set: str, select: Sequence[str] = ()) -> str:
    """``@odata.context``, e.g. ``…/v1.0/$metadata#identityProtection/riskyServicePrincipals``."""
    suffix = f"({','.join(select)})" if select else ""
    return f"{base}/{version}/$metadata#{entity_set}{suffix}"


def project(doc: dict[str, Any], select: Sequence[str]) -> dict[str, Any]:
    """``$select``: ``id`` and the named properties (those the shape has), in the order asked."""
    if not select:
        return doc
    out = {"id": doc["id"]} if "id" in doc else {}
    out.update((name, doc[name]) for name in select if name in doc)
    return out


def json_response(
    doc: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(orjson.dumps(doc), status, headers=dict(headers or {}), media_type=ODATA_JSON)


def count_response(value: int, headers: Mapping[str, str] | None = None) -> Response:
    """``/$count``: the bare integer as ``text/plain`` (the SDK's ``send_primitive_async(int)``)."""
    return Response(str(value), 200, headers=dict(headers or {}), media_type="text/plain")
