"""Acceptance: no secret in plaintext in the database file, the logs or any output.

Imports secrets, scans files, a git repository (history) and stdin, takes a GitHub report, runs
detections and lists them, at debug log level; then searches every byte written for every secret.
"""

from __future__ import annotations

import base64
import json
import logging
import random
from datetime import timedelta
from types import SimpleNamespace

from click.testing import CliRunner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from fastapi.testclient import TestClient
from leak_fixtures import NOW, git, principal, secret

from vigil.api import secret_scanning
from vigil.api.errors import install_error_handlers
from vigil.app import build
from vigil.cli.main import cli
from vigil.settings import load_settings
from vigil.store import Store


def test_no_secret_is_ever_written_or_printed(tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    rng = random.Random(99)
    secrets = [secret(rng) for _ in range(6)]
    legacy = "Ab.7Q~" + "".join(rng.choice("abcdefXYZ019") for _ in range(31))
    everything = [*secrets, legacy]
    db = tmp_path / "vigil.db"
    monkeypatch.setenv("VIGIL_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("VIGIL_INDICATORS__SERVER_KEY_FILE", str(tmp_path / "server.key"))
    store = Store.open(f"sqlite:///{db}", migrate=True)
    sps, apps = [], []
    for i, _ in enumerate(everything):
        sp, app = principal(f"33333333-0000-0000-0000-{i:012d}", f"app{i}", f"key-{i}",
                            end=NOW + timedelta(days=100 if i % 2 == 0 else -1))
        sps.append(sp)
        apps.append(app)
    store.inventory.upsert_service_principals([(s, None) for s in sps], NOW)
    store.inventory.upsert_applications([(a, None) for a in apps], NOW)
    store.close()
    (tmp_path / "secrets.json").write_text(json.dumps(
        [{"keyId": f"key-{i}", "secretText": s} for i, s in enumerate(everything)]))
    files = tmp_path / "src"
    files.mkdir()
    (files / "a.env").write_text(f"S0={secrets[0]}\nS1={secrets[1]}\nLEGACY={legacy}\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "c.yaml").write_text(f"secret: {secrets[2]}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "1", when=NOW - timedelta(days=2))
    (repo / "c.yaml").write_text("secret: none\n")
    git(repo, "commit", "-qam", "2", when=NOW - timedelta(days=1))

    runner = CliRunner()
    outputs = []
    for args, stdin in ((["-vv", "credentials", "import", str(tmp_path / "secrets.json")], None),
                        (["-vv", "credentials", "import", "--format", "json", "-"],
                         json.dumps([{"keyId": "x", "secretText": secrets[5]},
                                     {"keyId": "bad", "secretText": secrets[5][:5]}])),
                        (["-vv", "scan", str(files), str(repo), "-"], f"piped {secrets[4]}\n"),
                        (["-vv", "scan", "--format", "json", str(files), str(repo)], None),
                        (["detections", "--format", "json"], None),
                        (["risky", "--format", "json"], None),
                        (["stats"], None)):
        result = runner.invoke(cli, args, input=stdin, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    scan = json.loads(outputs[3])
    assert sorted(m["keyId"] for m in scan["matched"]) == ["key-0", "key-2", "key-6"]

    # the GitHub intake, with a signed report of two secrets
    signer = ec.generate_private_key(ec.SECP256R1())
    pem = signer.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "gh.json").write_text(json.dumps({"public_keys": [
        {"key_identifier": "k1", "key": pem.decode(), "is_current": True}]}))
    settings = load_settings(indicators={"server_key_file": str(tmp_path / "server.key"),
                                         "github_public_keys_file": str(tmp_path / "gh.json")})
    app = build(settings, clock=lambda: NOW)
    api = FastAPI()
    api.state.vigil = SimpleNamespace(app=app)
    install_error_handlers(api, lambda: NOW)
    api.include_router(secret_scanning.router)
    body = json.dumps([{"token": s, "type": "t", "url": "https://x", "source": "content"}
                       for s in secrets[3:5]]).encode()
    sig = base64.b64encode(signer.sign(body, ec.ECDSA(hashes.SHA256()))).decode()
    r = TestClient(api).post("/secretScanning/github", content=body,
                             headers={"Github-Public-Key-Identifier": "k1",
                                      "Github-Public-Key-Signature": sig})
    assert r.status_code == 200
    outputs.append(r.text)
    assert len(app.store.risk.list_detections()) >= 4
    app.close()

    written = b"".join(p.read_bytes() for p in tmp_path.glob("vigil.db*"))
    assert len(written) > 10_000 and b"key-0" in written  # the search does see the data
    logs = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    for s in everything:
        assert s.encode() not in written, "a secret is in the database files"
        assert s not in logs, "a secret is in the logs"
        for out in outputs:
            assert s not in out, "a secret is in the output"
        assert s not in (tmp_path / "server.key").read_text()
