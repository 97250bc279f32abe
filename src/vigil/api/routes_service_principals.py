"""``PATCH /servicePrincipals/{id}`` with ``{"accountEnabled": false}``: disable in Vigil.

Answers 204 like Graph. The change goes through ``RiskService.set_enabled``: a history item whose
``initiatedBy`` is the caller and, when the principal is in the inventory, its ``accountEnabled``,
in one transaction. A principal already so (in its risk record and its inventory) is left as it
is, with no history item. Unknown ids are 404 and change nothing. Only Security Administrators
may do this.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from vigil.api.context import context
from vigil.api.errors import GraphError
from vigil.api.item import check_key
from vigil.api.schemas import ServicePrincipalPatch, error_responses
from vigil.api.security import Administrator
from vigil.api.shapes import Version
from vigil.services.risk import UnknownServicePrincipals


def router(version: Version) -> APIRouter:
    api = APIRouter(prefix=f"/{version}/servicePrincipals")
    tags: list[Any] = [f"servicePrincipals ({version})"]

    @api.patch(
        "/{servicePrincipalId}",
        tags=tags,
        status_code=204,
        response_class=Response,
        responses=error_responses(400, 401, 403, 404),
    )
    def update_service_principal(
        request: Request,
        servicePrincipalId: str,
        body: ServicePrincipalPatch,
        caller: Administrator,
    ) -> Response:
        """Enable or disable a service principal in Vigil (only ``accountEnabled`` may change)."""
        app = context(request).app
        sp_id = app.risk.stored_id(check_key(servicePrincipalId))
        try:
            app.risk.set_enabled([sp_id], body.accountEnabled, caller.name)
        except UnknownServicePrincipals as exc:
            raise GraphError(404, f"servicePrincipal {sp_id!r} was not found") from exc
        return Response(status_code=204)

    return api
