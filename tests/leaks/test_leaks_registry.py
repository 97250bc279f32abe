"""The credential registry keeps keyed digests and hints only; the server key and its file."""

from __future__ import annotations

import json
import random
import stat

import pytest
from leak_fixtures import secret

from vigil.leaks.registry import parse_import
from vigil.leaks.server_key import ServerKey, ServerKeyError, load_server_key

KEY = ServerKey(b"k" * 40)


def test_import_keeps_digest_hint_and_shape_only():
    s = secret(random.Random(1))
    data = json.dumps([
        {"keyId": "A1B2", "secretText": s, "servicePrincipalId": "SP", "appId": "APP"},
        {"keyId": "old", "secretText": "abc7Q~" + "q" * 31},
        {"keyId": "plain", "secretText": "an-older-style-secret-value"},
    ]).encode()
    rows, problems = parse_import(data, KEY)
    assert problems == []
    assert [(r.key_id, r.hint, r.shape) for r in rows] == [
        ("a1b2", s[:3], "current"), ("old", "abc", "legacy"), ("plain", "an-", "other")]
    assert rows[0].digest == KEY.digest(s) and s not in repr(rows)
    assert (rows[0].service_principal_id, rows[0].app_id) == ("sp", "app")
    assert rows[0].key_fingerprint == KEY.fingerprint


def test_problems_name_items_never_values():
    s = secret(random.Random(2))
    data = json.dumps([{"secretText": s}, {"keyId": "k", "secretText": "short"}, "x",
                       {"keyId": "ok", "secretText": s}]).encode()
    rows, problems = parse_import(data, KEY)
    assert [r.key_id for r in rows] == ["ok"]
    assert [(p.index, p.key_id) for p in problems] == [(0, None), (1, "k"), (2, None)]
    assert all(s not in p.reason and "short" not in p.reason for p in problems)
    assert parse_import(b"{not json", KEY)[1][0].reason.startswith("not JSON")
    assert parse_import(json.dumps({"secrets": [{"keyId": "a", "secretText": s}]}).encode(),
                        KEY)[0][0].key_id == "a"


def test_key_file_is_created_0600_and_reused(tmp_path):
    path = tmp_path / "server.key"
    first = load_server_key(None, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_server_key(None, path).fingerprint == first.fingerprint
    assert "k" * 10 not in repr(first)


def test_group_readable_key_file_is_refused(tmp_path):
    path = tmp_path / "server.key"
    load_server_key(None, path)
    path.chmod(0o640)
    with pytest.raises(ServerKeyError, match="chmod 600"):
        load_server_key(None, path)


def test_configured_key_wins_and_must_be_long(tmp_path):
    key = load_server_key("s" * 32, tmp_path / "unused.key")
    assert not (tmp_path / "unused.key").exists()
    assert key.digest("x") == ServerKey(b"s" * 32).digest("x")
    with pytest.raises(ServerKeyError):
        load_server_key("short", tmp_path / "unused.key")
