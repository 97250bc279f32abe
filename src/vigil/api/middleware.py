"""Request ids and the catch-all for unexpected errors, as one pure ASGI middleware.

Graph answers every request with a ``request-id`` (a fresh GUID) and a ``client-request-id`` (the
caller's own, or the request-id when none was sent) (``shared/spec`` §3.4). An exception that
escapes a route is a bug: it is logged with the request-id and answered with a 500 in Graph's
error shape, never with a traceback.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vigil.api.errors import JSON_TYPE, error_body

log = logging.getLogger(__name__)

_MAX_CLIENT_ID = 128


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp, clock: Callable[[], datetime]) -> None:
        self.app = app
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        client_id = request_id
        for name, value in scope["headers"]:
            if name == b"client-request-id":
                text = value.decode("latin-1").strip()
                if text and len(text) <= _MAX_CLIENT_ID and text.isprintable():
                    client_id = text
                break
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["client_request_id"] = client_id
        ids = [
            (b"request-id", request_id.encode()),
            (b"client-request-id", client_id.encode("latin-1")),
        ]
        started = False

        async def send_with_ids(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), *ids]
            await send(message)

        try:
            await self.app(scope, receive, send_with_ids)
        except Exception:
            log.exception(
                "unhandled error in %s %s (request-id %s)",
                scope.get("method"),
                scope.get("path"),
                request_id,
            )
            if started:
                raise
            body = error_body(
                "generalException",
                "an unexpected error occurred; the server log names this request-id",
                request_id,
                client_id,
                self.clock(),
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", JSON_TYPE.encode()),
                        (b"content-length", str(len(body)).encode()),
                        *ids,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
