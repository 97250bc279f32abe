"""Request bodies (validated) and response schemas (OpenAPI documentation only).

Responses are built by :mod:`vigil.api.shapes` and encoded directly; the models below only describe
them in the served OpenAPI document. Request bodies accept the ``@odata.type`` annotation that the
msgraph SDK adds, and nothing else beyond their properties.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

MAX_DISMISS = 60


def _clean_id(value: str) -> str:
    if "\x00" in value:
        raise ValueError("ids must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("ids must be valid Unicode text") from exc
    return value


ServicePrincipalId = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_clean_id)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    odata_type: str | None = Field(default=None, alias="@odata.type")


class ConfirmCompromisedBody(_Body):
    servicePrincipalIds: list[ServicePrincipalId] = Field(min_length=1, max_length=1000)


class DismissBody(_Body):
    servicePrincipalIds: list[ServicePrincipalId] = Field(min_length=1, max_length=MAX_DISMISS)


class ServicePrincipalPatch(_Body):
    """Vigil changes only ``accountEnabled`` of a service principal."""

    accountEnabled: StrictBool


# -- response documentation -----------------------------------------------------------------------


class _Doc(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class InnerError(_Doc):
    date: str
    request_id: str = Field(alias="request-id")
    client_request_id: str = Field(alias="client-request-id")


class MainError(_Doc):
    code: str
    message: str
    innerError: InnerError


class ODataError(_Doc):
    error: MainError


class RiskyServicePrincipal(_Doc):
    id: str
    appId: str | None = None
    displayName: str | None = None
    isEnabled: bool | None = None
    accountEnabled: bool | None = Field(default=None, description="beta only")
    isProcessing: bool | None = None
    riskLevel: str | None = None
    riskState: str | None = None
    riskDetail: str | None = None
    riskLastUpdatedDateTime: str | None = None
    servicePrincipalType: str | None = None


class RiskServicePrincipalActivity(_Doc):
    detail: str | None = None
    riskEventTypes: list[str] = []


class RiskyServicePrincipalHistoryItem(RiskyServicePrincipal):
    servicePrincipalId: str | None = None
    initiatedBy: str | None = None
    activity: RiskServicePrincipalActivity | None = None


class ServicePrincipalRiskDetection(_Doc):
    id: str
    servicePrincipalId: str | None = None
    riskEventType: str | None = None
    riskLevel: str | None = None
    riskState: str | None = None
    riskDetail: str | None = None
    activityDateTime: str | None = None
    detectedDateTime: str | None = None
    lastUpdatedDateTime: str | None = None
    additionalInfo: str | None = None
    keyIds: list[str] = []


class _Collection(_Doc):
    odata_context: str | None = Field(default=None, alias="@odata.context")
    odata_count: int | None = Field(default=None, alias="@odata.count")
    odata_next_link: str | None = Field(default=None, alias="@odata.nextLink")


class RiskyServicePrincipalCollection(_Collection):
    value: list[RiskyServicePrincipal]


class HistoryCollection(_Collection):
    value: list[RiskyServicePrincipalHistoryItem]


class DetectionCollection(_Collection):
    value: list[ServicePrincipalRiskDetection]


_PARAMETERS = {
    "$filter": ("OData filter, e.g. riskLevel eq 'high'", {"type": "string"}),
    "$select": ("Comma-separated properties to return", {"type": "string"}),
    "$orderby": ("Comma-separated properties, each optionally asc or desc", {"type": "string"}),
    "$top": ("Page size (1-1000)", {"type": "integer", "minimum": 1, "maximum": 1000}),
    "$count": ("Include @odata.count", {"type": "boolean"}),
    "$skiptoken": ("Opaque paging token from @odata.nextLink", {"type": "string"}),
    "$format": ("json (default) or csv", {"type": "string", "enum": ["json", "csv"]}),
}


def query_parameters(*names: str) -> dict[str, object]:
    """``openapi_extra`` documenting OData options (parsed by :mod:`vigil.api.query`, not FastAPI)."""
    return {
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": _PARAMETERS[name][0],
                "schema": _PARAMETERS[name][1],
            }
            for name in names
        ]
    }


LIST_PARAMETERS = query_parameters(
    "$filter", "$select", "$orderby", "$top", "$count", "$skiptoken", "$format"
)
HISTORY_PARAMETERS = query_parameters("$select", "$top", "$count", "$skiptoken")
ITEM_PARAMETERS = query_parameters("$select")
COUNT_PARAMETERS = query_parameters("$filter")


def error_responses(*statuses: int) -> dict[int | str, dict[str, object]]:
    return {status: {"model": ODataError, "description": "Graph error"} for status in statuses}


def list_ok(model: type[BaseModel]) -> dict[int | str, dict[str, object]]:
    """The 200 of a list route: the JSON collection, or CSV with ``$format=csv``."""
    csv = {"text/csv": {"schema": {"type": "string"}}}
    return {
        200: {"model": model, "content": csv, "description": "A page (JSON) or every row (CSV)"}
    }
