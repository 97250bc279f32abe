"""The web console's routes: the page at ``/``, its static assets, and the JSON it reads.

The page (``static/index.html`` + ``console.js`` + ``console.css``, all served from this package; the
Content-Security-Policy allows nothing but this origin) holds no data and needs no token. Every
``/console/api/*`` route needs a bearer token with the read permission, like the Graph routes, and
answers errors in Graph's shape. The console's actions (confirm compromised, dismiss, disable) call
the Graph routes themselves (only after the page's confirmation dialog naming the principals), so
they go through ``RiskService`` and the same role checks: a Security Reader's page shows no action
buttons, and the server refuses the call anyway (403).

The token lives in the tab's ``sessionStorage`` and travels in the ``Authorization`` header; no
cookie is set, so there is no ambient credential for a cross-site request to ride on (no CSRF).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from fastapi import APIRouter, Request, Response

from vigil.api.context import context
from vigil.api.errors import GraphError, not_found
from vigil.api.item import check_key
from vigil.api.listing import Collection, list_response
from vigil.api.responses import base_url, json_response
from vigil.api.risky_page import fetch_rows, row_shaper
from vigil.api.routes_detections import _SAMPLE as DETECTION_SAMPLE
from vigil.api.routes_risky import _SAMPLE_ROW as RISKY_SAMPLE
from vigil.api.security import Reader
from vigil.api.shapes import detection_to_graph
from vigil.auth import Permission
from vigil.console.detail import detail_document
from vigil.console.explain import explain
from vigil.console.listing import DETECTIONS_TABLE, RISKY_TABLE, page_document, parse
from vigil.console.overview import overview_document
from vigil.store.console_queries import ConsoleQueries

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
#: Only this origin, no inline script; styles set through the CSSOM (element.style) are allowed.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
_PAGE_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}


#: Every file the console serves (a fixed list: no path from a request reaches the file system).
ASSETS = frozenset({"index.html", "console.js", "console.css"})


@cache
def _asset(name: str) -> bytes | None:
    """A file of ``static/``, read once; None for any name not in :data:`ASSETS`."""
    if name not in ASSETS:
        return None
    return resources.files("vigil.console").joinpath("static", name).read_bytes()


def _asset_response(name: str) -> Response:
    body = _asset(name)
    if body is None:
        raise not_found("file", name)
    media = _TYPES["." + name.rsplit(".", 1)[-1]]
    return Response(body, media_type=media, headers=_PAGE_HEADERS)


def _params(request: Request) -> dict[str, str]:
    seen: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if "\x00" in key or "\x00" in value:
            raise GraphError(400, "query parameters must not contain NUL characters")
        seen[key] = value
    return seen


def _wants_csv(params: dict[str, str]) -> bool:
    fmt = params.get("format", "json").strip().lower()
    if fmt not in ("json", "csv"):
        raise GraphError(400, "format must be json or csv")
    return fmt == "csv"


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/")
    async def index() -> Response:
        """The console page (no data: it asks for a token and reads ``/console/api``)."""
        return _asset_response("index.html")

    @api.get("/console/static/{name}")
    async def static(name: str) -> Response:
        return _asset_response(name)

    @api.get("/console/api/me")
    async def me(caller: Reader) -> Response:
        """Who the token belongs to and what the page may offer them."""
        return json_response(
            {
                "name": caller.name,
                "roles": sorted(r.value for r in caller.roles),
                "method": caller.method,
                "can": {p.value: caller.can(p) for p in Permission},
            }
        )

    @api.get("/console/api/risky")
    def risky(request: Request, caller: Reader) -> Response:
        """A page (or the CSV) of risky service principals."""
        ctx = context(request)
        params = _params(request)
        csv = _wants_csv(params)
        cq = parse(RISKY_TABLE, params, csv=csv)
        store = ctx.app.store
        shape = row_shaper("v1.0", True)

        def fetch(w: Any, o: Any, limit: int, offset: int) -> list[Any]:
            return fetch_rows(store.engine, w, o, limit, offset)

        if csv:
            collection = Collection(
                "identityProtection/riskyServicePrincipals",
                fetch,
                store.risk.count_risky,
                shape,
                RISKY_SAMPLE,
            )
            return list_response(
                request,
                cq.query,
                collection,
                version="v1.0",
                base=base_url(request, ctx.public_url),
                headers={},
            )
        return json_response(page_document(cq, fetch, store.risk.count_risky, shape))

    @api.get("/console/api/detections")
    def detections(request: Request, caller: Reader) -> Response:
        """A page (or the CSV) of service principal risk detections."""
        ctx = context(request)
        params = _params(request)
        csv = _wants_csv(params)
        cq = parse(DETECTIONS_TABLE, params, csv=csv)
        risk = ctx.app.store.risk

        def shape(d: Any) -> dict[str, Any]:
            return detection_to_graph(d, version="beta", include_unknown=True)

        if csv:
            collection = Collection(
                "identityProtection/servicePrincipalRiskDetections",
                risk.list_detections,
                risk.count_detections,
                shape,
                DETECTION_SAMPLE,
            )
            return list_response(
                request,
                cq.query,
                collection,
                version="beta",
                base=base_url(request, ctx.public_url),
                headers={},
            )
        return json_response(page_document(cq, risk.list_detections, risk.count_detections, shape))

    @api.get("/console/api/detections/{detection_id}")
    def detection(request: Request, detection_id: str, caller: Reader) -> Response:
        """One detection with its explanation."""
        found = context(request).app.store.risk.detection(check_key(detection_id))
        if found is None:
            raise not_found("servicePrincipalRiskDetection", detection_id)
        doc = detection_to_graph(found, version="beta", include_unknown=True)
        return json_response({**doc, "explanation": explain(found)})

    @api.get("/console/api/service-principals/{sp_id}")
    def service_principal(request: Request, sp_id: str, caller: Reader) -> Response:
        """The detail pane of one service principal."""
        doc = detail_document(context(request).app, check_key(sp_id))
        if doc is None:
            raise not_found("servicePrincipal", sp_id)
        return json_response(doc)

    @api.get("/console/api/overview")
    def overview(request: Request, caller: Reader) -> Response:
        """Counts by level and type, and detections per day by type over 30 days."""
        app = context(request).app
        doc = overview_document(ConsoleQueries(app.store.engine), app.clock())
        return json_response(doc)

    return api
