"""The GitHub secret-scanning partner intake: ECDSA signature, matching, feedback (HTTP)."""

from __future__ import annotations

import base64
import json
import random
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from fastapi.testclient import TestClient
from leak_fixtures import NOW, leak_app, principal, secret

from vigil.api import secret_scanning
from vigil.api.errors import install_error_handlers
from vigil.leaks.github import KEY_ID_HEADER, SIGNATURE_HEADER
from vigil.leaks.service import leak_service

SP, APP, KEY_ID = "22222222-0000-0000-0000-000000000001", "bbbb0001", "kid-1"
GH_KEY_ID = "bcb53661c06b4728e59d897fb6165d5c9cda0fd9cdf9d09ead458168deb7518c"


@pytest.fixture
def intake(tmp_path):
    signer = ec.generate_private_key(ec.SECP256R1())
    pem = signer.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    keys = tmp_path / "github-keys.json"
    keys.write_text(json.dumps({"public_keys": [
        {"key_identifier": GH_KEY_ID, "key": pem.decode(), "is_current": True}]}))
    sp, app_obj = principal(SP, APP, KEY_ID)
    app = leak_app(tmp_path, [sp], [app_obj])
    app.settings.indicators.github_public_keys_file = keys
    s = secret(random.Random(21))
    leak_service(app).import_credentials(json.dumps([{"keyId": KEY_ID,
                                                      "secretText": s}]).encode())
    api = FastAPI()
    api.state.vigil = SimpleNamespace(app=app)
    install_error_handlers(api, lambda: NOW)
    api.include_router(secret_scanning.router)
    yield TestClient(api), signer, app, s
    app.close()


def _post(client, signer, body: bytes, key_id: str = GH_KEY_ID, signature: str | None = None):
    sig = signature or base64.b64encode(signer.sign(body, ec.ECDSA(hashes.SHA256()))).decode()
    return client.post("/secretScanning/github", content=body,
                       headers={KEY_ID_HEADER: key_id, SIGNATURE_HEADER: sig,
                                "Content-Type": "application/json"})


def test_signed_report_becomes_a_detection(intake):
    client, signer, app, s = intake
    url = "https://github.com/octo/repo/blob/0abc/settings.txt"
    body = json.dumps([{"token": s, "type": "azure_active_directory_application_secret",
                        "url": url, "source": "content"}]).encode()
    r = _post(client, signer, body)
    assert r.status_code == 200
    assert r.json()[0]["label"] == "true_positive" and s not in r.text
    (d,) = app.store.risk.list_detections()
    assert (d.service_principal_id, d.key_ids) == (SP, (KEY_ID,))
    assert {e.key: e.value for e in d.additional_info}["location"] == {"url": url,
                                                                        "context": "content"}


@pytest.mark.parametrize("tamper", ["body", "key", "signature", "missing"])
def test_bad_signatures_are_refused(intake, tamper):
    client, signer, app, s = intake
    body = json.dumps([{"token": s, "type": "t", "url": "u", "source": "content"}]).encode()
    good = base64.b64encode(signer.sign(body, ec.ECDSA(hashes.SHA256()))).decode()
    if tamper == "body":
        r = _post(client, signer, body + b" ", signature=good)
    elif tamper == "key":
        r = _post(client, signer, body, key_id="unknown")
    elif tamper == "signature":
        other = ec.generate_private_key(ec.SECP256R1())
        r = _post(client, signer, body, signature=base64.b64encode(
            other.sign(body, ec.ECDSA(hashes.SHA256()))).decode())
    else:
        r = client.post("/secretScanning/github", content=body)
    assert r.status_code == 401
    assert s not in r.text
    assert app.store.risk.list_detections() == []


def test_malformed_payload_is_a_400(intake):
    client, signer, _, _ = intake
    assert _post(client, signer, b'{"token": 1}').status_code == 400
