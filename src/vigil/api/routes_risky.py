"""``/identityProtection/riskyServicePrincipals``: list, ``/$count``, get, history, and the
``confirmCompromised`` / ``dismiss`` actions (``shared/spec`` §1.5).

Lists are ordered by ``$orderby`` (default: the id) and then by id. Actions take
``{"servicePrincipalIds": [...]}`` and answer 204; dismiss takes at most 60 ids; when any id is
unknown the answer is 404 and nothing changes (``RiskService`` checks every id first, and applies
them all in one transaction). The caller's name is recorded as ``initiatedBy``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from vigil.api.context import context
from vigil.api.errors import GraphError, not_found
from vigil.api.item import check_key, parse_count_filter, parse_item_select
from vigil.api.listing import Collection, list_response, wants_csv
from vigil.api.odata_filter import Property, PropType
from vigil.api.properties import RISKY_SERVICE_PRINCIPALS as RISKY
from vigil.api.query import parse_list_query
from vigil.api.responses import (
    base_url,
    context_url,
    count_response,
    include_unknown,
    json_response,
    preference_headers,
    project,
)
from vigil.api.risky_page import fetch_rows, row_shaper
from vigil.api.schemas import (
    COUNT_PARAMETERS,
    HISTORY_PARAMETERS,
    ITEM_PARAMETERS,
    LIST_PARAMETERS,
    ConfirmCompromisedBody,
    DismissBody,
    HistoryCollection,
    RiskyServicePrincipal,
    RiskyServicePrincipalCollection,
    error_responses,
    list_ok,
)
from vigil.api.security import Operator, Reader
from vigil.api.shapes import Version, history_to_graph, risky_to_graph
from vigil.services.risk import UnknownServicePrincipals

ENTITY_SET = "identityProtection/riskyServicePrincipals"
#: A placeholder row (the columns of ``risky_page``): gives the CSV header.
_SAMPLE_ROW = (
    "",
    None,
    None,
    True,
    False,
    "none",
    datetime(2000, 1, 1, tzinfo=UTC),
    "none",
    "none",
    None,
)
_HISTORY_SELECTABLE: dict[str, Property] = {
    **RISKY.selectable,
    **{
        name: Property(name, PropType.STRING, filterable=False, sortable=False)
        for name in ("servicePrincipalId", "initiatedBy", "activity")
    },
}
#: Every sortable property, enum members as themselves: the keyset sort key of a row.
_KEY_SHAPE = row_shaper("beta", True)
_READ_ERRORS = error_responses(400, 401, 403)
_ITEM_ERRORS = error_responses(400, 401, 403, 404)


def _unknown(exc: UnknownServicePrincipals) -> GraphError:
    shown = ", ".join(exc.ids[:10]) + (", ..." if len(exc.ids) > 10 else "")
    return GraphError(404, f"unknown servicePrincipalIds: {shown}; nothing was changed")


def router(version: Version) -> APIRouter:
    api = APIRouter(prefix=f"/{version}/identityProtection/riskyServicePrincipals")
    beta = version == "beta"
    tags: list[Any] = [f"riskyServicePrincipals ({version})"]

    @api.get(
        "",
        tags=tags,
        response_model=None,
        openapi_extra=LIST_PARAMETERS,
        responses={**list_ok(RiskyServicePrincipalCollection), **_READ_ERRORS},
    )
    async def list_risky_service_principals(request: Request, caller: Reader) -> Response:
        """List risky service principals (Graph ``riskyServicePrincipal`` collection)."""
        ctx = context(request)
        query = parse_list_query(
            request.query_params.multi_items(), RISKY, beta=beta, default_top=ctx.page_size
        )
        unknown = include_unknown(request)
        store = ctx.app.store
        collection = Collection(
            entity_set=ENTITY_SET,
            fetch=lambda w, o, limit, offset: fetch_rows(store.engine, w, o, limit, offset),
            count=store.risk.count_risky,
            shape=row_shaper(version, unknown),
            sample=_SAMPLE_ROW,
            key=_KEY_SHAPE,
        )
        base = base_url(request, ctx.public_url)
        headers = preference_headers(unknown)
        return list_response(
            request, query, collection, version=version, base=base, headers=headers
        )

    @api.get(
        "/$count",
        tags=tags,
        response_model=None,
        openapi_extra=COUNT_PARAMETERS,
        responses={
            200: {"content": {"text/plain": {"schema": {"type": "integer"}}}},
            **_READ_ERRORS,
        },
    )
    async def count_risky_service_principals(request: Request, caller: Reader) -> Response:
        """The number of risky service principals matching ``$filter``, as a bare integer."""
        where = parse_count_filter(request.query_params.multi_items(), RISKY, beta=beta)
        return count_response(context(request).app.store.risk.count_risky(where))  # type: ignore[arg-type]

    @api.post(
        "/confirmCompromised",
        tags=tags,
        status_code=204,
        response_class=Response,
        responses=error_responses(400, 401, 403, 404),
    )
    def confirm_compromised(
        request: Request, body: ConfirmCompromisedBody, caller: Operator
    ) -> Response:
        """Confirm service principals compromised: risk ``high``, state ``confirmedCompromised``."""
        try:
            context(request).app.risk.confirm_compromised(body.servicePrincipalIds, caller.name)
        except UnknownServicePrincipals as exc:
            raise _unknown(exc) from exc
        return Response(status_code=204)

    @api.post(
        "/dismiss",
        tags=tags,
        status_code=204,
        response_class=Response,
        responses=error_responses(400, 401, 403, 404),
    )
    def dismiss(request: Request, body: DismissBody, caller: Operator) -> Response:
        """Dismiss all risk of up to 60 service principals: risk ``none``, state ``dismissed``."""
        try:
            context(request).app.risk.dismiss(body.servicePrincipalIds, caller.name)
        except UnknownServicePrincipals as exc:
            raise _unknown(exc) from exc
        return Response(status_code=204)

    @api.get(
        "/{riskyServicePrincipalId}",
        tags=tags,
        response_model=None,
        openapi_extra=ITEM_PARAMETERS,
        responses={200: {"model": RiskyServicePrincipal}, **_ITEM_ERRORS},
    )
    async def get_risky_service_principal(
        request: Request, riskyServicePrincipalId: str, caller: Reader
    ) -> Response:
        """One risky service principal."""
        ctx = context(request)
        select = parse_item_select(request.query_params.multi_items(), RISKY.selectable, beta=beta)
        risk = ctx.app.store.risk
        found = risk.risky(ctx.app.risk.stored_id(check_key(riskyServicePrincipalId)))
        if found is None:
            raise not_found("riskyServicePrincipal", riskyServicePrincipalId)
        unknown = include_unknown(request)
        doc = {
            "@odata.context": context_url(
                base_url(request, ctx.public_url), version, ENTITY_SET + "/$entity", select
            ),
            **project(risky_to_graph(found, version=version, include_unknown=unknown), select),
        }
        return json_response(doc, headers=preference_headers(unknown))

    @api.get(
        "/{riskyServicePrincipalId}/history",
        tags=tags,
        response_model=None,
        openapi_extra=HISTORY_PARAMETERS,
        responses={200: {"model": HistoryCollection}, **_ITEM_ERRORS},
    )
    async def list_history(
        request: Request, riskyServicePrincipalId: str, caller: Reader
    ) -> Response:
        """The principal's risk history, oldest first (``riskyServicePrincipalHistoryItem``)."""
        ctx = context(request)
        risk = ctx.app.store.risk
        sp_id = ctx.app.risk.stored_id(check_key(riskyServicePrincipalId))
        query = parse_list_query(
            request.query_params.multi_items(),
            RISKY,
            beta=beta,
            default_top=ctx.page_size,
            selectable=_HISTORY_SELECTABLE,
            queryable=False,
        )
        if wants_csv(request, query):
            raise GraphError(400, "$format=csv is not supported on history", code="notSupported")
        items = risk.history(sp_id)
        if not items and risk.risky(sp_id) is None:
            raise not_found("riskyServicePrincipal", sp_id)
        unknown = include_unknown(request)
        collection = Collection(
            entity_set=f"{ENTITY_SET}('{sp_id}')/history",
            fetch=lambda w, o, limit, offset: items[offset : offset + limit],
            count=lambda w: len(items),
            shape=lambda h: history_to_graph(h, version=version, include_unknown=unknown),
            sample=items[0] if items else None,
        )
        base = base_url(request, ctx.public_url)
        headers = preference_headers(unknown)
        return list_response(
            request, query, collection, version=version, base=base, headers=headers
        )

    return api
