"""`vigil token create|list|revoke` and `vigil serve` (started as a real process)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import httpx
import pytest
from click.testing import CliRunner

from vigil.auth import is_local_token
from vigil.cli.main import cli
from vigil.store import Store
from vigil.store.tables import api_tokens


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_token_lifecycle(db_url):
    Store.open(db_url, migrate=True).close()
    runner = CliRunner()
    created = runner.invoke(
        cli, ["--db", db_url, "token", "create", "--role", "SecurityOperator", "--name", "soar"]
    )
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert is_local_token(token)
    listed = json.loads(
        runner.invoke(cli, ["--db", db_url, "token", "list", "--format", "json"]).stdout
    )
    [row] = listed["value"]
    assert (row["name"], row["role"], row["revokedDateTime"]) == ("soar", "Security Operator", None)
    assert token not in json.dumps(listed)
    store = Store.open(db_url)
    with store.engine.connect() as conn:
        assert token not in str(conn.execute(api_tokens.select()).all())
    store.close()
    assert runner.invoke(cli, ["--db", db_url, "token", "revoke", row["id"]]).exit_code == 0
    assert runner.invoke(cli, ["--db", db_url, "token", "revoke", row["id"]]).exit_code == 1
    bad = runner.invoke(cli, ["--db", db_url, "token", "create", "--role", "Owner"])
    assert bad.exit_code == 2 and "Security Administrator" in bad.output


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_with_a_created_token(tmp_path, workers):
    url = f"sqlite:///{tmp_path / 'vigil.db'}"
    runner = CliRunner()
    runner.invoke(cli, ["--db", url, "migrate"])
    token = runner.invoke(
        cli, ["--db", url, "token", "create", "--role", "Global Reader"]
    ).stdout.strip()
    port = _port()
    args = ["--db", url, "-q", "serve", "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen([sys.executable, "-m", "vigil.cli.main", *args])
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "serve did not start"
            time.sleep(0.1)
        path = "/v1.0/identityProtection/riskyServicePrincipals"
        assert httpx.get(base + path).status_code == 401
        ok = httpx.get(base + path, headers={"Authorization": f"Bearer {token}"})
        assert (ok.status_code, ok.json()["value"]) == (200, [])
    finally:
        server.terminate()
        server.wait(timeout=15)
