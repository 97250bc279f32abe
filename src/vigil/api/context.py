"""What the routes need, stored on the FastAPI app: the composed :class:`vigil.app.App` and auth."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from vigil.app import App
from vigil.auth import Authenticator


@dataclass(frozen=True)
class ApiContext:
    app: App
    authenticator: Authenticator

    @property
    def page_size(self) -> int:
        return self.app.settings.api.page_size

    @property
    def public_url(self) -> str | None:
        return self.app.settings.api.public_url


def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.vigil
    return ctx
