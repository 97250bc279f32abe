"""Secret values in ingested input are never kept: raw records and rejects hold the hint only."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from leak_fixtures import secret

from vigil.cli.main import cli
from vigil.leaks.redact import names_member, redact, redact_shaped, redact_text
from vigil.store import rawcodec

SP = "44444444-0000-0000-0000-000000000001"


def test_secret_shaped_strings_keep_only_their_hint() -> None:
    s = secret(random.Random(1))
    legacy = "Ab.7Q~" + "x" * 31
    data = f'{{"a":"{s}","b":"pre {legacy} post"}}'.encode()
    out = redact_shaped(data)
    assert s.encode() not in out and legacy.encode() not in out
    assert json.loads(out) == {
        "a": s[:3] + "[redacted]",
        "b": "pre Ab.[redacted] post",
    }


def test_secret_text_members_are_redacted_whatever_their_form() -> None:
    data = b'{"passwordCredentials":[{"hint":"old","secretText" : "old-style \\"secret\\""}]}'
    assert json.loads(redact(data)) == {
        "passwordCredentials": [{"hint": "old", "secretText": "[redacted]"}]
    }
    assert redact(b'{"x":1}') == b'{"x":1}'
    assert redact_text("got 'Xy18Q~" + "a" * 34 + "'") == "got 'Xy1[redacted]'"


def test_names_member_finds_the_name_in_any_case_and_nothing_else() -> None:
    for data in (b"secretText", b'{"SecretText":1}', b"..SECRETTEXT", b"x sEcReTtExT x"):
        assert names_member(data), data
    for data in (b"", b"x", b"secretTex", b"ecretText", b"secret Text", b"Mozilla (X11; x64)"):
        assert not names_member(data), data
    rng = random.Random(5)
    alphabet = b"secrtTxEXS\"x"
    for _ in range(3000):  # against the member search's own test of the name
        data = bytes(rng.choice(alphabet) for _ in range(rng.randrange(30)))
        assert names_member(data) == (b"secrettext" in data.lower()), data


@pytest.mark.parametrize("workers", ["0", "2"])
def test_ingest_keeps_no_secret_value(tmp_path: Path, workers: str) -> None:
    rng = random.Random(7)
    current, in_agent, in_reject = (secret(rng) for _ in range(3))
    old_style = "0ld~style/secret+value=="
    app = {
        "id": "aaaaaaaa-0000-0000-0000-000000000001",
        "appId": "bbbbbbbb-0000-0000-0000-000000000001",
        "displayName": "leaky",
        "publisherDomain": "contoso.onmicrosoft.com",
        "passwordCredentials": [
            {"keyId": "cccccccc-0000-0000-0000-000000000001", "hint": current[:3],
             "secretText": current},
            {"keyId": "cccccccc-0000-0000-0000-000000000002", "hint": "0ld",
             "secretText": old_style},
            {"keyId": "cccccccc-0000-0000-0000-000000000003", "hint": "esc",
             "ESCAPED": "escapedNameSecretValue"},
        ],
    }  # fmt: skip
    # a name spelled with \u escapes is secretText all the same (JSON decodes it so)
    apps = json.dumps({"value": [app]}).replace('"ESCAPED"', '"secret\\u0054ext"')
    (tmp_path / "apps.json").write_text(apps)
    sign_in = {
        "id": "s-1", "createdDateTime": "2026-10-25T00:14:52Z", "servicePrincipalId": SP,
        "signInEventTypes": ["servicePrincipal"], "userAgent": f"curl {in_agent}",
    }  # fmt: skip
    lines = [json.dumps(dict(sign_in, id=f"s-{i}")) for i in range(50)]
    # a line that is a Graph sign-in but for a secret member in a field Vigil does not read: the
    # bulk path stores the line itself, so the piece is redacted first (names_member)
    buried = ["buriedSecretValueNumber1", "buriedSecretValueNumber2", "buriedSecretValueNumber3"]
    names = ("secretText", "SecretText", "SECRETTEXT")
    for i, name, value in zip((10, 20, 49), names, buried, strict=True):
        lines[i] = json.dumps(dict(sign_in, id=f"s-{i}", extra={"cred": {name: value}}))
    lines[30] = json.dumps(dict(sign_in, id="s-30", extra={"ESCAPED": "escapedInASignIn"}))
    lines[30] = lines[30].replace('"ESCAPED"', '"SECRET\\u0074ext"')
    (tmp_path / "signins.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "secrets.json").write_text(
        json.dumps([{"keyId": "cccccccc-0000-0000-0000-000000000001", "secretText": in_reject}])
    )
    db = tmp_path / "v.db"
    rejects = tmp_path / "rejects.jsonl"
    runner = CliRunner()
    args = ["--db", f"sqlite:///{db}"]
    assert runner.invoke(cli, [*args, "migrate"]).exit_code == 0
    result = runner.invoke(
        cli,
        [*args, "ingest", "--workers", workers, "--rejects", str(rejects), str(tmp_path / "apps.json"),
         str(tmp_path / "signins.jsonl"), str(tmp_path / "secrets.json")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    secrets = [current, old_style, in_agent, in_reject, *buried, "escapedNameSecretValue",
               "escapedInASignIn"]

    kept = [rejects.read_bytes(), result.output.encode()]
    kept += [p.read_bytes() for p in tmp_path.glob("v.db*") if p.is_file()]
    with sqlite3.connect(db) as conn:
        for table in ("applications", "sign_ins", "raw_blocks", "rejected_records"):
            for row in conn.execute(f"SELECT * FROM {table}"):
                for value in row:
                    if isinstance(value, bytes) and value[:4] == b"\x28\xb5\x2f\xfd":  # zstd
                        value = rawcodec.decompress(value)
                    kept.append(value if isinstance(value, bytes) else str(value).encode())
        stored = conn.execute("SELECT count(*) FROM sign_ins").fetchone()[0]
        blocks = conn.execute("SELECT count(*) FROM raw_blocks").fetchone()[0]
    assert stored == 50 and blocks >= 1
    for blob in kept:
        for s in secrets:
            assert s.encode() not in blob
    everything = b"\n".join(kept)
    assert f"curl {in_agent[:3]}[redacted]".encode() in everything  # the raw sign-in, redacted
    assert b'"secretText":"[redacted]"' in everything.replace(b" ", b"")


def _rejects_kept(tmp_path: Path, *names: str) -> list[bytes]:
    """Ingest ``names`` (in ``tmp_path``), which hold nothing readable; return what their rejects
    kept: the rejects file, then each stored reject's text, decompressed."""
    rejects, db = tmp_path / "rejects.jsonl", tmp_path / "v.db"
    result = CliRunner().invoke(
        cli,
        ["--db", f"sqlite:///{db}", "ingest", "--no-detect", "--rejects", str(rejects),
         *(str(tmp_path / name) for name in names)],
    )  # fmt: skip
    assert result.exit_code == 1, result.output  # nothing could be read
    kept = [rejects.read_bytes()]
    with sqlite3.connect(db) as conn:
        for (raw,) in conn.execute("SELECT raw FROM rejected_records"):
            if raw[:4] == b"\x28\xb5\x2f\xfd":
                raw = rawcodec.decompress(raw)
            kept.append(raw)
    return kept


def test_rejects_keep_no_part_of_a_secret_their_excerpt_cuts(tmp_path: Path) -> None:
    """A reject keeps an excerpt of what could not be read; a cut through a secret, or one that
    leaves out its ``secretText`` member name, must not keep the rest of it."""
    old_style = "S3cretValueWithoutTildeABCDEFGH"
    shaped = secret(random.Random(3))
    # a pretty-printed export missing a comma just after the secret: the excerpt around the
    # error starts inside the value, past its member name
    (tmp_path / "app.json").write_text(
        "{\n"
        '  "id": "0b9e4d3c-0000-0000-0000-000000000001",\n'
        '  "appId": "1c9e4d3c-0000-0000-0000-000000000001",\n'
        '  "passwordCredentials": [{"keyId": "2d9e4d3c-0000-0000-0000-000000000001", '
        f'"secretText": "{old_style}"}}]\n'
        '  "displayName": "x"\n'
        "}\n"
    )
    # a JSON line that breaks inside the secret, and one whose excerpt ends inside another
    cut = '{"appId":"a","passwordCredentials":[{"keyId":"k","secretText":"' + old_style[:20]
    padding = "p" * (200 - len('{"userAgent":"') - 10)
    long = '{"userAgent":"' + padding + shaped + '",'  # broken: ends without its "}"
    (tmp_path / "broken.jsonl").write_text(cut + "\n" + long + "\n")
    kept = _rejects_kept(tmp_path, "app.json", "broken.jsonl")
    assert len(kept) == 4
    for blob in kept:
        assert old_style[:12].encode() not in blob
        assert shaped[3:15].encode() not in blob


def test_rejects_of_a_capitalised_member_or_a_bad_csv_row_keep_no_secret(tmp_path: Path) -> None:
    """PowerShell's ``ConvertTo-Json`` writes ``SecretText``; a CSV row with the wrong number of
    cells has no member name near its secret cell. Both kept old-style secrets in plaintext."""
    old_style = "S3cretValueWithoutTildeABCDEFGH"
    (tmp_path / "ps.json").write_text(
        '{"keyId": "2d9e4d3c-0000-0000-0000-000000000001", "SecretText": "' + old_style + '"}\n'
        '{"keyId": "k", "SecretText": "' + old_style + '"\n'  # broken: no closing brace
    )
    (tmp_path / "secrets.csv").write_text(
        "keyId,secretText,appId\n2d9e4d3c-0000-0000-0000-000000000001," + old_style + ",a,extra\n"
    )
    kept = _rejects_kept(tmp_path, "ps.json", "secrets.csv")
    assert len(kept) == 4, kept
    assert all(old_style[:12].encode() not in blob for blob in kept), kept


def test_secret_after_a_json_escape_is_redacted():
    """A secret starting a new line inside a JSON string (``...\\nabc8Q~...``) is not kept."""
    s = secret(random.Random(22))
    raw = b'{"message": "token request failed\\n' + s.encode() + b'"}'
    out = redact(raw)
    assert s.encode() not in out
    assert json.loads(out)["message"] == "token request failed\n" + s[:3] + "[redacted]"
