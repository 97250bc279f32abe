"""Import, scan and report end to end on a store: findings, detections, decoys, key material."""

from __future__ import annotations

import json
import os
import random
from datetime import timedelta

import pytest
from leak_fixtures import NOW, certificate, git, leak_app, principal, secret

from vigil.leaks.github import TokenMatch
from vigil.leaks.service import leak_service

SP1, APP1, KEY1 = "11111111-0000-0000-0000-000000000001", "aaaa0001", "key-valid"
SP2, APP2, KEY2 = "11111111-0000-0000-0000-000000000002", "aaaa0002", "key-expired"
SP3, APP3, KEY3 = "11111111-0000-0000-0000-000000000003", "aaaa0003", "key-cert"


@pytest.fixture
def world(tmp_path):
    rng = random.Random(11)
    valid, expired, removed, unknown = (secret(rng) for _ in range(4))
    cert_pem, key_pem, thumb, _, _ = certificate()
    sp1, app1 = principal(SP1, APP1, KEY1)
    sp2, app2 = principal(SP2, APP2, KEY2, end=NOW - timedelta(days=1))
    sp3, app3 = principal(SP3, APP3, KEY3, thumbprint=thumb, on_app=False)
    app = leak_app(tmp_path, [sp1, sp2, sp3], [app1, app2, app3])
    svc = leak_service(app)
    data = [{"keyId": KEY1, "secretText": valid}, {"keyId": KEY2, "secretText": expired},
            {"keyId": "key-removed", "secretText": removed, "servicePrincipalId": SP1}]
    assert svc.import_credentials(json.dumps(data).encode()).imported == 3
    files = tmp_path / "files"
    files.mkdir()
    (files / "app.env").write_text(f"A=1\nSECRET={valid}\nOLD={expired}\n")
    (files / "notes.md").write_text(f"{removed}\n{unknown}\n{valid[:-1]}x\n")
    (files / "tls.pem").write_bytes(cert_pem + key_pem)
    yield app, svc, files, dict(valid=valid, expired=expired, removed=removed)
    app.close()


def test_scan_reports_valid_credentials_and_counts_decoys(world):
    app, svc, files, _ = world
    summary = svc.scan([str(files)])
    assert sorted((f.key_id, f.credential_type) for f in summary.findings) == [
        (KEY3, "certificate"), (KEY1, "password")]
    valid = next(f for f in summary.findings if f.key_id == KEY1)
    assert valid.location.path.endswith("app.env") and valid.location.line == 2
    assert dict(summary.decoys) == {"expired": 1, "removed": 1, "unknown": 1, "badChecksum": 1}
    assert summary.key_material["certificate"] == 1 and summary.key_material["privateKey"] == 1
    dets = app.store.risk.list_detections()
    assert sorted((d.service_principal_id, d.risk_event_type, d.risk_level.value, d.key_ids)
                  for d in dets) == [(SP1, "leakedCredentials", "high", (KEY1,)),
                                     (SP3, "leakedCredentials", "high", (KEY3,))]
    info = {e.key: e.value for e in next(d for d in dets if d.key_ids == (KEY1,)).additional_info}
    assert info["location"]["line"] == 2 and info["keyId"] == KEY1


def test_scanning_again_changes_nothing(world):
    app, svc, files, _ = world
    svc.scan([str(files)])
    assert svc.scan([str(files)]).detections == 0
    assert len(app.store.risk.list_detections()) == 2


def test_the_same_place_spelled_another_way_is_the_same_leak(world, tmp_path, monkeypatch):
    app, svc, files, _ = world
    svc.scan([str(files)])
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "link").symlink_to(files)
    monkeypatch.chdir(tmp_path / "elsewhere")
    for spelling in ("../files", f"{tmp_path}/elsewhere/../files/", "../link"):
        assert svc.scan([spelling]).detections == 0, spelling
    assert len(app.store.risk.list_detections()) == 2

def test_git_leak_is_dated_by_its_commit(world, tmp_path):
    app, svc, _, secrets = world
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "cfg.yaml").write_text(f"secret: {secrets['valid']}\n")
    git(repo, "add", "-A")
    when = NOW - timedelta(days=3)
    git(repo, "commit", "-qm", "oops", when=when)
    commit = git(repo, "rev-parse", "HEAD")
    (repo / "cfg.yaml").write_text("secret: ${S}\n")
    git(repo, "commit", "-qam", "fix", when=NOW - timedelta(days=2))
    summary = svc.scan([str(repo)])
    (f,) = summary.findings
    assert (f.key_id, f.location.commit, f.location.file, f.location.line) == (
        KEY1, commit, "cfg.yaml", 1)
    (d,) = app.store.risk.list_detections()
    assert d.activity_date_time == when


def test_github_report_matches_and_answers_feedback(world):
    app, svc, _, secrets = world
    url = "https://github.com/o/r/blob/abc/x.txt"
    matches = [TokenMatch(secrets["valid"], "azure_active_directory_application_secret", url,
                          "content"),
               TokenMatch("zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblQ", "t", None, None)]
    _summary, feedback = svc.report_tokens(matches)
    assert [f["label"] for f in feedback] == ["true_positive", "false_positive"]
    assert all(len(f["token_hash"]) == 64 for f in feedback)
    (d,) = app.store.risk.list_detections()
    info = {e.key: e.value for e in d.additional_info}
    assert (d.key_ids, info["source"], info["alertUrl"]) == ((KEY1,), "githubSecretScanning", url)
    assert d.activity_date_time == NOW


def test_scan_before_inventory_detects_when_the_inventory_arrives(tmp_path):
    s = secret(random.Random(12))
    app = leak_app(tmp_path, [], [])
    svc = leak_service(app)
    svc.import_credentials(json.dumps([{"keyId": KEY1, "secretText": s,
                                        "servicePrincipalId": SP1, "appId": APP1}]).encode())
    (tmp_path / "f.txt").write_text(s)
    summary = svc.scan([str(tmp_path / "f.txt")])
    assert summary.findings == [] and summary.decoys["removed"] == 1
    _sp, application = principal(SP1, APP1, KEY1)
    meta = "https://graph.microsoft.com/v1.0/$metadata#"
    (tmp_path / "sps.json").write_text(json.dumps({"@odata.context": meta + "servicePrincipals",
                                                   "value": [{"id": SP1, "appId": APP1,
                                                              "displayName": "late"}]}))
    (tmp_path / "apps.json").write_text(json.dumps({"@odata.context": meta + "applications",
                                                    "value": [{
        "id": application.id, "appId": APP1, "displayName": "late", "passwordCredentials": [
            {"keyId": KEY1, "endDateTime": (NOW + timedelta(days=9)).isoformat()}]}]}))
    # the applications first: their service principal arrives in a later batch
    app.ingestor().ingest([str(tmp_path / "apps.json"), str(tmp_path / "sps.json")])
    (d,) = app.store.risk.list_detections()
    assert (d.service_principal_id, d.key_ids) == (SP1, (KEY1,))
    app.close()


def test_pkcs12_without_password_leaks_its_certificate_credential(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    _, _, thumb, cert, key = certificate("pfx")
    sp, application = principal(SP3, APP3, KEY3, thumbprint=thumb)
    app = leak_app(tmp_path, [sp], [application])
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "signing.pfx").write_bytes(pkcs12.serialize_key_and_certificates(
        b"signing", key, cert, None, serialization.NoEncryption()))
    (tmp_path / "deploy" / "public-only.pem").write_bytes(cert.public_bytes(
        serialization.Encoding.PEM))
    summary = leak_service(app).scan([str(tmp_path / "deploy")])
    (f,) = summary.findings
    assert (f.key_id, f.credential_type, f.location.line) == (KEY3, "certificate", None)
    assert f.location.path.endswith("signing.pfx")
    app.close()


def test_a_utf16_file_is_scanned(world, tmp_path):
    """Windows PowerShell 5's `>` writes UTF-16 with a byte-order mark: the secret's bytes are
    interleaved with zeros there, and the scan found nothing."""
    _, svc, _, secrets = world
    out = tmp_path / "ps"
    out.mkdir()
    text = f"appId    : {APP1}\r\npassword : {secrets['valid']}\r\n"
    (out / "reset-le.txt").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    (out / "reset-be.txt").write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    summary = svc.scan([str(out)])
    assert sorted((f.key_id, f.location.path.rsplit("/", 1)[-1], f.location.line)
                  for f in summary.findings) == [(KEY1, "reset-be.txt", 2),
                                                 (KEY1, "reset-le.txt", 2)]


def test_a_secret_in_a_commit_message_is_a_leak_of_that_commit(world, tmp_path):
    app, svc, _, secrets = world
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "cfg.yaml").write_text("secret: ${S}\n")
    git(repo, "add", "-A")
    when = NOW - timedelta(days=3)
    git(repo, "commit", "-qm", f"ci: works now\n\nused {secrets['valid']} to test", when=when)
    commit = git(repo, "rev-parse", "HEAD")
    summary = svc.scan([str(repo)])
    (f,) = summary.findings
    assert (f.key_id, f.location.commit, f.location.file, f.location.line) == (
        KEY1, commit, "(commit message)", 3)
    assert summary.to_dict()["scanned"]["messages"] == 1
    (d,) = app.store.risk.list_detections()
    assert d.activity_date_time == when


def test_a_file_whose_name_is_not_utf8_is_scanned_and_named(world, tmp_path):
    """A Latin-1 system's ``café.env`` (byte 0xE9): Python reads its name with a lone surrogate,
    which the store refused, and the scan failed. It is named ``caf\\xe9.env`` now."""
    app, svc, _, secrets = world
    out = tmp_path / "latin1"
    out.mkdir()
    (out / os.fsdecode(b"caf\xe9.env")).write_text(f"SECRET={secrets['valid']}\n")
    summary = svc.scan([str(out)])
    assert [(f.key_id, f.location.path) for f in summary.findings] == [
        (KEY1, f"{out}/caf\\xe9.env")]
    det = next(d for d in app.store.risk.list_detections() if d.key_ids == (KEY1,))
    info = {e.key: e.value for e in det.additional_info}
    assert info["location"]["path"] == f"{out}/caf\\xe9.env"
