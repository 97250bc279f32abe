"""``vigil intel sync`` against a real TAXII 2.1 server: OASIS's reference server, medallion.

medallion runs as a subprocess on a free loopback port with its memory backend; objects are
published with taxii2-client's ``add_objects``, then read back by Vigil, page by page (the server's
page size is 2), with HTTP basic authentication taken from the configured URL.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("medallion")
from taxii2client.v21 import Collection

from vigil.cli.main import cli
from vigil.model import SignIn, SignInKind
from vigil.store import Store

COLLECTION = "472c94ae-3113-4e3e-a4dd-a9f4ac7471d4"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def taxii(tmp_path):
    port = _free_port()
    root = f"http://127.0.0.1:{port}/api1/"
    data = {"/discovery": {"title": "test", "default": root, "api_roots": [root]},
            "api1": {"information": {"title": "api1", "max_content_length": 10485760,
                                     "versions": ["application/taxii+json;version=2.1"]},
                     "status": [],
                     "collections": [{"id": COLLECTION, "title": "intel", "can_read": True,
                                      "can_write": True, "objects": [], "manifest": [],
                                      "media_types": ["application/stix+json;version=2.1"]}]}}
    (tmp_path / "data.json").write_text(json.dumps(data))
    (tmp_path / "config.json").write_text(json.dumps({
        "backend": {"module": "medallion.backends.memory_backend",
                    "module_class": "MemoryBackend", "filename": str(tmp_path / "data.json")},
        "users": {"vigil": "s3cret"}, "taxii": {"max_page_size": 2}}))
    exe = shutil.which("medallion", path=str(Path(sys.executable).parent))
    proc = subprocess.Popen([exe or "medallion", "--port", str(port), str(tmp_path / "config.json")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"{root}collections/{COLLECTION}/"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield url, Collection(url, user="vigil", password="s3cret")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _indicator(n: int, pattern: str, **extra) -> dict:
    return {"type": "indicator", "spec_version": "2.1", "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z", "id": f"indicator--{n:08d}-0000-4000-8000-"
            "000000000000", "pattern": pattern, "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z", "indicator_types": ["malicious-activity"],
            **extra}


def test_sync_reads_the_collection_and_retro_matches(taxii, tmp_path, monkeypatch):
    url, collection = taxii
    collection.add_objects({"objects": [
        _indicator(1, "[ipv4-addr:value = '198.51.100.1']"),
        _indicator(2, "[ipv4-addr:value ISSUBSET '203.0.113.0/24']"),
        _indicator(3, "[autonomous-system:number = 64500]", revoked=True),
        _indicator(4, "[ipv4-addr:value = '192.0.2.1' AND network-traffic:dst_port = 1]"),
        _indicator(5, "[domain-name:value = 'evil.example']"),
    ]})
    db = f"sqlite:///{tmp_path / 'vigil.db'}"
    store = Store.open(db, migrate=True)
    when = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    store.activity.add_sign_ins([(SignIn(
        id="s1", created_date_time=when, kind=SignInKind.servicePrincipal,
        service_principal_id="sp-1", app_id="a-1", ip_address="203.0.113.50"), None)])
    store.close()
    configured = url.replace("http://", "http://vigil:s3cret@")
    monkeypatch.setenv("VIGIL_DATABASE_URL", db)
    monkeypatch.setenv("VIGIL_INDICATORS__TAXII_COLLECTIONS", json.dumps([configured]))
    result = CliRunner().invoke(cli, ["intel", "sync", "--format", "json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    summary = json.loads(result.stdout)
    assert (summary["indicators"], summary["ignored"], len(summary["rejected"])) == (3, 1, 1)
    assert summary["retroMatch"] == {"records": 1, "detections": 1}
    listed = CliRunner().invoke(cli, ["intel", "list", "--format", "json"]).stdout
    values = sorted(i["value"] for i in json.loads(listed)["value"])
    assert values == ["198.51.100.1/32", "203.0.113.0/24", "64500"]
    assert all(i["source"] == f"taxii:{url}" for i in json.loads(listed)["value"])
    store = Store.open(db)
    (d,) = store.risk.list_detections()
    assert (d.service_principal_id, d.activity_date_time) == ("sp-1", when)
    store.close()

    # a revocation published later, and an object deleted from the collection, take effect
    collection.add_objects({"objects": [_indicator(
        1, "[ipv4-addr:value = '198.51.100.1']", revoked=True,
        modified="2026-02-01T00:00:00.000Z")]})
    collection.delete_object(_indicator(2, "")["id"])
    result = CliRunner().invoke(cli, ["intel", "sync", "--format", "json"])
    assert json.loads(result.stdout)["removed"] == 1
    listed = json.loads(CliRunner().invoke(cli, ["intel", "list", "--format", "json"]).stdout)
    assert sorted((i["value"], i["revoked"]) for i in listed["value"]) == [
        ("198.51.100.1/32", True), ("64500", True)]


def test_a_page_saying_more_without_next_is_an_error_not_a_loop():
    """A server paging by added_after (no ``next``), or one repeating a ``next``, made
    taxii2-client's as_pages ask for the first page again for ever, collecting it each time."""
    from vigil.intel.taxii import PagingError, read_pages

    calls: list[dict] = []

    def no_next(**kwargs):
        calls.append(kwargs)
        if len(calls) > 5:
            raise AssertionError("looping")
        return {"more": True, "objects": [_indicator(1, "[ipv4-addr:value = '192.0.2.1']")]}

    with pytest.raises(PagingError, match="no 'next'"):
        read_pages(no_next)
    pages = iter([{"more": True, "next": "a", "objects": [{"id": "1"}]},
                  {"more": True, "next": "a", "objects": []}])
    with pytest.raises(PagingError):
        read_pages(lambda **kw: next(pages))
    pages = iter([{"more": True, "next": "a", "objects": [{"id": "1"}]},
                  {"more": False, "objects": [{"id": "2"}]}])
    assert read_pages(lambda **kw: next(pages)) == [{"id": "1"}, {"id": "2"}]
