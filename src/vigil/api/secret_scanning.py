"""``POST /secretScanning/github``: an intake compatible with GitHub's secret-scanning partner program.

No bearer token: GitHub authenticates by signing the body (ECDSA P-256 / SHA-256) with a key
published at ``api.github.com/meta/public_keys/secret_scanning``; Vigil verifies it against the
keys in ``indicators.github_public_keys_file`` (:mod:`vigil.leaks.github`). The reported tokens go
through the same matching as ``vigil scan`` (registry digests, then currently valid credentials)
and become ``leakedCredentials`` detections located by the report's URL. The answer is GitHub's
feedback array (token SHA-256, type, true/false positive); no token is logged or stored.

Mount with ``api.include_router(secret_scanning.router)`` in ``vigil.api.server.create_api``.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from vigil.api.context import context
from vigil.api.errors import GraphError
from vigil.leaks.github import (
    KEY_ID_HEADER,
    SIGNATURE_HEADER,
    IntakeError,
    load_public_keys,
    parse_matches,
    verify,
)
from vigil.leaks.server_key import ServerKeyError
from vigil.leaks.service import leak_service

#: A partner webhook, not part of the Graph-compatible surface: left out of the OpenAPI document.
router = APIRouter(tags=["secret scanning"], include_in_schema=False)
MAX_BODY = 8 << 20


@router.post(
    "/secretScanning/github",
    response_model=None,
    responses={200: {"description": "feedback: [{token_hash, token_type, label}]"}},
)
async def github_secret_scanning(request: Request) -> Response:
    """Receive secret matches from GitHub (partner program); verify, match, record."""
    app = context(request).app
    keys_file = app.settings.indicators.github_public_keys_file
    if keys_file is None:
        raise GraphError(503, "no GitHub public keys configured", code="serviceNotAvailable")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise GraphError(413, "the request is too large")
    try:
        keys = await run_in_threadpool(load_public_keys, keys_file)
        verify(body, request.headers.get(KEY_ID_HEADER), request.headers.get(SIGNATURE_HEADER),
               keys)
        matches = parse_matches(body)
        service = leak_service(app)
    except IntakeError as exc:
        code = "unauthenticated" if exc.status == 401 else "invalidRequest"
        raise GraphError(exc.status, str(exc), code=code) from None
    except (OSError, ValueError, ServerKeyError) as exc:
        raise GraphError(503, f"the intake is misconfigured: {type(exc).__name__}",
                         code="serviceNotAvailable") from None
    _summary, feedback = await run_in_threadpool(service.report_tokens, matches)
    return Response(orjson.dumps(feedback), 200, media_type="application/json")
