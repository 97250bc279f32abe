"""JWT verification: algorithms, keys, issuer, audience and times (RFC 7519 / RFC 8725)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from vigil.auth import AuthenticationError, JwksFile, JwtVerifier, OidcConfig, Role

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ISS, AUD = "https://issuer.test/t/v2.0", "api://vigil"
RSA_KEY = rsa.generate_private_key(65537, 2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def verifier(tmp_path) -> JwtVerifier:
    keys = [
        {**json.loads(RSAAlgorithm.to_jwk(RSA_KEY.public_key())), "kid": "r1"},
        {**json.loads(ECAlgorithm.to_jwk(EC_KEY.public_key())), "kid": "e1"},
    ]
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": keys}))
    config = OidcConfig(issuers=(ISS, "https://sts.test/t/"), audiences=(AUD,), actor_claim="oid")
    return JwtVerifier(config, JwksFile(path), lambda: NOW)


def mint(alg="RS256", kid="r1", key=None, *, at=NOW, lifetime=3600, **claims):
    payload = {
        "iss": ISS,
        "aud": AUD,
        "oid": "user-1",
        "exp": int((at + timedelta(seconds=lifetime)).timestamp()),
        **claims,
    }
    key = key or (RSA_KEY if alg.startswith("RS") else EC_KEY)
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid} if kid else None)


def test_rs256_and_es256_tokens_give_roles_and_the_actor(verifier):
    p = verifier.verify(mint(roles=["SecurityOperator"]))
    assert (p.name, p.roles, p.method) == ("user-1", frozenset({Role.security_operator}), "oidc")
    p = verifier.verify(mint("ES256", "e1", wids=["5d6b6bb7-de71-4623-b4af-96380a352509"]))
    assert p.roles == {Role.security_reader}
    assert verifier.verify(mint(iss="https://sts.test/t/")).name == "user-1"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (lambda: mint(aud="api://other"), "audience"),
        (lambda: mint(iss="https://evil.test/"), "issuer"),
        (lambda: mint(at=NOW - timedelta(hours=2)), "expired"),
        (lambda: mint(nbf=int((NOW + timedelta(minutes=10)).timestamp())), "not valid yet"),
        (lambda: mint(kid="nope"), "unknown key"),
        (lambda: mint(kid=None), "no key id"),
        (lambda: mint("ES256", "r1"), "does not match"),
        (lambda: mint(key=rsa.generate_private_key(65537, 2048)), "signature"),
        (lambda: mint(oid=None), "oid"),
        (
            lambda: jwt.encode(
                {"iss": ISS, "aud": AUD}, RSA_KEY, algorithm="RS256", headers={"kid": "r1"}
            ),
            "exp",
        ),
        (
            lambda: jwt.encode({"iss": ISS, "aud": AUD, "exp": 9e9}, "s" * 32, algorithm="HS256"),
            "algorithm",
        ),
        (lambda: "not.a.jwt", "well-formed"),
        (lambda: "", "well-formed"),
    ],
)
def test_bad_tokens_are_refused_with_a_reason(verifier, token, reason):
    with pytest.raises(AuthenticationError) as raised:
        verifier.verify(token())
    assert reason in str(raised.value)


def test_alg_none_is_refused(verifier):
    def b64(doc):
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()

    token = f"{b64({'alg': 'none', 'kid': 'r1'})}.{b64({'iss': ISS, 'aud': AUD, 'oid': 'x', 'exp': 9e9})}."
    with pytest.raises(AuthenticationError, match="algorithm"):
        verifier.verify(token)


def test_leeway_allows_small_clock_skew(verifier):
    assert verifier.verify(mint(at=NOW - timedelta(seconds=3630))).name == "user-1"


def test_an_unreadable_jwks_file_is_a_value_error(tmp_path):
    bad = tmp_path / "jwks.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="JWK Set"):
        JwksFile(bad)


def test_jwks_url_is_fetched_once_and_cached(tmp_path):
    import http.server
    import threading

    from vigil.auth import JwksUrl

    body = json.dumps(
        {"keys": [{**json.loads(RSAAlgorithm.to_jwk(RSA_KEY.public_key())), "kid": "r1"}]}
    ).encode()
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/keys"
        verifier = JwtVerifier(
            OidcConfig(issuers=(ISS,), audiences=(AUD,), actor_claim="oid"),
            JwksUrl(url),
            lambda: NOW,
        )
        assert verifier.verify(mint()).name == "user-1"
        assert verifier.verify(mint()).name == "user-1"
        with pytest.raises(AuthenticationError, match="no verification key"):
            verifier.verify(mint(kid="rotated-away"))
    finally:
        server.shutdown()
    assert hits == ["/keys"]  # cached; an unknown kid refetches at most every 30 s
