"""RBAC matrix: every route × every role (local token and OIDC JWT) × no token × expired token ×
wrong audience, against a real server. Allowed calls never answer 401/403; the rest answer exactly
401 (with a Bearer challenge) or 403, in Graph's error shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from tests_api_support import (  # type: ignore[import-not-found]
    AUDIENCE,
    Keys,
    ServerThread,
    add_token,
    detection,
    make_app,
    oidc_settings,
    seed,
    sp_id,
)

from vigil.api.server import create_api
from vigil.auth import Permission, Role, allows


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    permission: Permission
    body: dict[str, Any] | None = None


def routes() -> list[Route]:
    det = detection(1).id
    out = []
    for v in ("v1.0", "beta"):
        ip = f"/{v}/identityProtection"
        out += [
            Route("GET", f"{ip}/riskyServicePrincipals", Permission.read),
            Route("GET", f"{ip}/riskyServicePrincipals/$count", Permission.read),
            Route("GET", f"{ip}/riskyServicePrincipals/{sp_id(1)}", Permission.read),
            Route("GET", f"{ip}/riskyServicePrincipals/{sp_id(1)}/history", Permission.read),
            Route("GET", f"{ip}/servicePrincipalRiskDetections", Permission.read),
            Route("GET", f"{ip}/servicePrincipalRiskDetections/$count", Permission.read),
            Route("GET", f"{ip}/servicePrincipalRiskDetections/{det}", Permission.read),
            Route("GET", f"{ip}/riskyServicePrincipals?$format=csv", Permission.read),
            # unknown ids: an allowed caller gets 404 and nothing changes
            Route(
                "POST",
                f"{ip}/riskyServicePrincipals/confirmCompromised",
                Permission.act,
                {"servicePrincipalIds": ["unknown-sp"]},
            ),
            Route(
                "POST",
                f"{ip}/riskyServicePrincipals/dismiss",
                Permission.act,
                {"servicePrincipalIds": ["unknown-sp"]},
            ),
            Route(
                "PATCH",
                f"/{v}/servicePrincipals/unknown-sp",
                Permission.disable,
                {"accountEnabled": False},
            ),
        ]
    return out


ROUTES = routes()


@pytest.fixture
def server(store, clock, tmp_path) -> Iterator[tuple[str, dict[str, str | None], set[str]]]:
    """A server accepting local tokens and OIDC JWTs; identity name → Authorization header."""
    keys = Keys.generate()
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks()))
    app = make_app(store, clock, **oidc_settings(jwks))
    seed(app, 4)
    now = clock()
    identities: dict[str, str | None] = {"none": None}
    for role in Role:
        identities[f"local:{role.value}"] = add_token(store, role, role.value, now)
        identities[f"jwt-roles:{role.value}"] = keys.mint(now, roles=[role.value.replace(" ", "")])
        identities[f"jwt-wids:{role.value}"] = keys.mint(
            now, alg="ES256", wids=[_template_id(role)]
        )
    identities["expired"] = keys.mint(now - timedelta(hours=2), roles=["SecurityAdministrator"])
    identities["wrong-audience"] = keys.mint(
        now, aud="api://someone-else", roles=["SecurityAdministrator"]
    )
    identities["no-role"] = keys.mint(now, roles=["Reader"])
    headers = {k: (None if v is None else f"Bearer {v}") for k, v in identities.items()}
    rejected = {"none", "expired", "wrong-audience"}
    with ServerThread(create_api(app)) as running:
        yield running.base, headers, rejected


def _template_id(role: Role) -> str:
    from vigil.auth import ROLE_TEMPLATE_IDS

    return next(k for k, v in ROLE_TEMPLATE_IDS.items() if v is role)


def _roles(identity: str) -> set[Role]:
    _, _, name = identity.partition(":")
    return {r for r in Role if r.value == name}


def test_rbac_matrix(server) -> None:
    base, identities, rejected = server
    seen: dict[tuple[str, str], int] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        for route in ROUTES:
            for identity, header in identities.items():
                headers = {} if header is None else {"Authorization": header}
                resp = client.request(route.method, route.path, json=route.body, headers=headers)
                seen[(route.method + " " + route.path, identity)] = resp.status_code
                if identity in rejected:
                    expected = 401
                elif allows(_roles(identity), route.permission):
                    expected = (
                        404
                        if "unknown-sp" in json.dumps(route.body) + route.path
                        else (204 if route.method != "GET" else 200)
                    )
                else:
                    expected = 403
                assert resp.status_code == expected, (route, identity, resp.text)
                if expected in (401, 403):
                    error = resp.json()["error"]
                    assert error["code"] == {401: "unauthenticated", 403: "accessDenied"}[expected]
                    assert error["innerError"]["request-id"] == resp.headers["request-id"]
                if expected == 401:
                    assert resp.headers["www-authenticate"].startswith("Bearer")
    assert len(seen) == len(ROUTES) * len(identities) == 22 * 16


def test_healthz_and_openapi_need_no_token(server) -> None:
    base, _, _ = server
    with httpx.Client(base_url=base) as client:
        assert client.get("/healthz").json()["status"] == "ok"
        assert (
            "/v1.0/identityProtection/riskyServicePrincipals"
            in client.get("/openapi.json").json()["paths"]
        )


def test_wrong_audience_names_the_reason(server) -> None:
    base, identities, _ = server
    with httpx.Client(base_url=base) as client:
        resp = client.get(
            "/v1.0/identityProtection/riskyServicePrincipals",
            headers={"Authorization": identities["wrong-audience"]},
        )
    assert resp.status_code == 401
    assert "audience" in resp.json()["error"]["message"]
    assert 'error="invalid_token"' in resp.headers["www-authenticate"]
    assert AUDIENCE not in resp.text
