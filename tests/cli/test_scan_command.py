"""`vigil scan`'s exit codes: 0 scanned, 1 nothing could be read, 3 with --exit-code and a leak."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from vigil.cli.main import cli


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("VIGIL_INDICATORS__SERVER_KEY_FILE", str(tmp_path / "server.key"))
    return f"sqlite:///{tmp_path / 'vigil.db'}"


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_nothing_could_be_read_is_a_failure(tmp_path, db, fmt):
    """Every path missing: the scan looked at nothing, so it did not pass (it exited 0)."""
    missing = [str(tmp_path / "no-such-repo"), str(tmp_path / "typo.env")]
    result = CliRunner().invoke(cli, ["--db", db, "scan", "--format", fmt, *missing])
    assert result.exit_code == 1, result.output
    assert "error: nothing could be read" in result.output
    if fmt == "json":
        doc = json.loads(result.stdout)
        assert [e["reason"] for e in doc["errors"]] == ["not found", "not found"]


def test_one_path_read_is_a_scan(tmp_path, db):
    clean = tmp_path / "clean.txt"
    clean.write_text("nothing secret here\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    for paths in ([str(clean), str(tmp_path / "missing")], [str(empty)]):
        result = CliRunner().invoke(cli, ["--db", db, "scan", *paths])
        assert result.exit_code == 0, result.output


def test_an_empty_file_was_read(tmp_path, db):
    """An empty file is read, and holds nothing: beside a missing path it is still a scan."""
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = CliRunner().invoke(
        cli, ["--db", db, "scan", "--format", "json", str(empty), str(tmp_path / "missing")]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["scanned"]["files"] == 1
