"""``/identityProtection/servicePrincipalRiskDetections``: list, ``/$count`` and get (§2.3).

Lists are ordered by ``$orderby`` (default: ``activityDateTime`` descending, newest first) and then
by id; filters people use (``servicePrincipalId``, ``riskEventType``, ``requestId``...) have indexes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from vigil.api.context import context
from vigil.api.errors import not_found
from vigil.api.item import check_key, parse_count_filter, parse_item_select
from vigil.api.listing import Collection, list_response
from vigil.api.properties import SERVICE_PRINCIPAL_RISK_DETECTIONS as DETECTIONS
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
from vigil.api.schemas import (
    COUNT_PARAMETERS,
    ITEM_PARAMETERS,
    LIST_PARAMETERS,
    DetectionCollection,
    ServicePrincipalRiskDetection,
    error_responses,
    list_ok,
)
from vigil.api.security import Reader
from vigil.api.shapes import Version, detection_to_graph
from vigil.model import RiskDetection, RiskLevel, RiskState

ENTITY_SET = "identityProtection/servicePrincipalRiskDetections"
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_SAMPLE = RiskDetection(
    id="",
    service_principal_id="",
    risk_event_type="",
    risk_level=RiskLevel.none,
    risk_state=RiskState.none,
    activity_date_time=_EPOCH,
    detected_date_time=_EPOCH,
    last_updated_date_time=_EPOCH,
)
_DEFAULT_ORDER = (("activityDateTime", True),)
_READ_ERRORS = error_responses(400, 401, 403)


def _key(d: RiskDetection) -> dict[str, Any]:
    """Every sortable property, enum members as themselves: the keyset sort key of a row."""
    return detection_to_graph(d, version="beta", include_unknown=True)


def router(version: Version) -> APIRouter:
    api = APIRouter(prefix=f"/{version}/identityProtection/servicePrincipalRiskDetections")
    beta = version == "beta"
    tags: list[Any] = [f"servicePrincipalRiskDetections ({version})"]

    @api.get(
        "",
        tags=tags,
        response_model=None,
        openapi_extra=LIST_PARAMETERS,
        responses={**list_ok(DetectionCollection), **_READ_ERRORS},
    )
    async def list_service_principal_risk_detections(request: Request, caller: Reader) -> Response:
        """List service principal risk detections, newest activity first."""
        ctx = context(request)
        query = parse_list_query(
            request.query_params.multi_items(),
            DETECTIONS,
            beta=beta,
            default_top=ctx.page_size,
            default_order=_DEFAULT_ORDER,
        )
        unknown = include_unknown(request)
        risk = ctx.app.store.risk
        collection = Collection(
            entity_set=ENTITY_SET,
            fetch=lambda w, o, limit, offset: risk.list_detections(w, o, limit, offset),
            count=risk.count_detections,
            shape=lambda d: detection_to_graph(d, version=version, include_unknown=unknown),
            sample=_SAMPLE,
            key=_key,
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
    async def count_service_principal_risk_detections(request: Request, caller: Reader) -> Response:
        """The number of detections matching ``$filter``, as a bare integer."""
        where = parse_count_filter(request.query_params.multi_items(), DETECTIONS, beta=beta)
        risk = context(request).app.store.risk
        return count_response(risk.count_detections(where))  # type: ignore[arg-type]

    @api.get(
        "/{servicePrincipalRiskDetectionId}",
        tags=tags,
        response_model=None,
        openapi_extra=ITEM_PARAMETERS,
        responses={
            200: {"model": ServicePrincipalRiskDetection},
            **error_responses(400, 401, 403, 404),
        },
    )
    async def get_service_principal_risk_detection(
        request: Request, servicePrincipalRiskDetectionId: str, caller: Reader
    ) -> Response:
        """One detection."""
        ctx = context(request)
        select = parse_item_select(
            request.query_params.multi_items(), DETECTIONS.selectable, beta=beta
        )
        found = ctx.app.store.risk.detection(check_key(servicePrincipalRiskDetectionId))
        if found is None:
            raise not_found("servicePrincipalRiskDetection", servicePrincipalRiskDetectionId)
        unknown = include_unknown(request)
        doc = {
            "@odata.context": context_url(
                base_url(request, ctx.public_url), version, ENTITY_SET + "/$entity", select
            ),
            **project(detection_to_graph(found, version=version, include_unknown=unknown), select),
        }
        return json_response(doc, headers=preference_headers(unknown))

    return api
