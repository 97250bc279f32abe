"""API test helpers: an App over the ``store`` fixture, local tokens per role, a real uvicorn
server on a free loopback port, and seed data written through the services (never the API)."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn

from vigil.api.server import create_api
from vigil.app import App
from vigil.auth import ApiToken, Role, new_token, token_hash, token_hint
from vigil.model import (
    InfoEntry,
    Location,
    RiskDetection,
    RiskEventType,
    RiskLevel,
    RiskState,
    ServicePrincipal,
    detection_id,
)
from vigil.services.risk import RiskService
from vigil.settings import Settings
from vigil.store import Store

T0 = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)
LEVELS = (RiskLevel.low, RiskLevel.medium, RiskLevel.high)
TYPES = (
    RiskEventType.suspiciousSignins,
    RiskEventType.leakedCredentials,
    RiskEventType.anomalousServicePrincipalActivity,
)


def sp_id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def detection(n: int, k: int = 0) -> RiskDetection:
    """The ``k``-th detection of principal ``n``: level and type cycle with ``n``."""
    sp = sp_id(n)
    kind = TYPES[(n + k) % len(TYPES)]
    at = T0 + timedelta(minutes=n, seconds=k)
    return RiskDetection(
        id=detection_id(kind, sp, str(k)),
        service_principal_id=sp,
        risk_event_type=kind,
        risk_level=LEVELS[n % 3],
        risk_state=RiskState.atRisk,
        activity_date_time=at,
        detected_date_time=at + timedelta(minutes=5),
        last_updated_date_time=at + timedelta(minutes=5),
        app_id=f"app-{n}",
        service_principal_display_name=f"App {n:05d}",
        ip_address="20.1.2.3",
        location=Location(city="Dublin", country_or_region="IE", latitude=53.3, longitude=-6.2),
        key_ids=("9d9fea30-d8e3-481b-b57c-0ef569a989e5",),
        request_id=f"req-{n}-{k}",
        additional_info=(InfoEntry("alertUrl", None),),
    )


def seed(app: App, count: int, detections_per_sp: int = 1) -> None:
    """``count`` risky principals, the even ones also in the inventory."""
    app.store.inventory.upsert_service_principals(
        [
            (ServicePrincipal(id=sp_id(n), app_id=f"app-{n}", display_name=f"App {n:05d}"), None)
            for n in range(0, count, 2)
        ],
        T0,
    )
    for n in range(count):
        for k in range(detections_per_sp):
            app.risk.record_detection(detection(n, k))


def add_token(store: Store, role: Role, name: str, now: datetime) -> str:
    secret = new_token()
    store.tokens.add(
        ApiToken(str(uuid.uuid4()), name, role, token_hint(secret), now), token_hash(secret)
    )
    return secret


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerThread:
    """A real uvicorn server for ``asgi`` on a free loopback port, in a daemon thread."""

    def __init__(self, asgi: Any) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            asgi, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def make_app(store: Store, clock: Any, **settings: Any) -> App:
    return App(
        settings=Settings(database_url="sqlite://", **settings),
        store=store,
        clock=clock,
        risk=RiskService(store, clock),
    )


@dataclass
class Served:
    """A running server, the App behind it and one local token per role."""

    base: str
    app: App
    tokens: dict[Role, str]

    def client(self, role: Role | None = Role.security_administrator) -> httpx.Client:
        headers = {} if role is None else {"Authorization": f"Bearer {self.tokens[role]}"}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30)


@pytest.fixture
def served(store: Store, clock: Any) -> Iterator[Served]:
    app = make_app(store, clock)
    tokens = {role: add_token(store, role, f"{role.value} token", clock()) for role in Role}
    with ServerThread(create_api(app)) as server:
        yield Served(server.base, app, tokens)


# -- OIDC: keys and tokens minted in the test ------------------------------------------------------

ISSUER = "https://login.example.test/tenant-1/v2.0"
AUDIENCE = "api://vigil-test"


@dataclass
class Keys:
    """An RSA and an EC P-256 signing key, and their public JWK Set."""

    rsa: Any
    ec: Any

    @classmethod
    def generate(cls) -> Keys:
        from cryptography.hazmat.primitives.asymmetric import ec, rsa

        return cls(rsa.generate_private_key(65537, 2048), ec.generate_private_key(ec.SECP256R1()))

    def jwks(self) -> dict[str, Any]:
        import json

        from jwt.algorithms import ECAlgorithm, RSAAlgorithm

        rsa_jwk = json.loads(RSAAlgorithm.to_jwk(self.rsa.public_key()))
        ec_jwk = json.loads(ECAlgorithm.to_jwk(self.ec.public_key()))
        return {
            "keys": [
                {**rsa_jwk, "kid": "rsa-1", "use": "sig"},
                {**ec_jwk, "kid": "ec-1", "use": "sig"},
            ]
        }

    def mint(
        self, now: datetime, *, alg: str = "RS256", lifetime: float = 3600, **claims: Any
    ) -> str:
        import jwt

        payload = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "subject-1",
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()) - 5,
            "exp": int(now.timestamp() + lifetime),
            **claims,
        }
        key, kid = (self.rsa, "rsa-1") if alg == "RS256" else (self.ec, "ec-1")
        return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid})


def oidc_settings(jwks_file: Any) -> dict[str, Any]:
    return {"auth": {"issuer": ISSUER, "audience": AUDIENCE, "jwks_file": jwks_file}}
