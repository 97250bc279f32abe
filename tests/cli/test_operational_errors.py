"""Failures of the machine or the database end a command with one clear line, not a traceback."""

from __future__ import annotations

import subprocess
import sys


def vigil(*args: str) -> subprocess.CompletedProcess[str]:
    """``vigil ARGS`` in a process of its own (what a user's shell sees)."""
    return subprocess.run(
        [sys.executable, "-m", "vigil.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_database_that_cannot_be_opened_is_one_line_and_exit_1(tmp_path):
    db = f"sqlite:///{tmp_path / 'missing' / 'dir' / 'v.db'}"
    done = vigil("--db", db, "stats")
    assert done.returncode == 1
    assert done.stderr.strip() == "error: OperationalError: unable to open database file"
    verbose = vigil("-vv", "--db", db, "stats")
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr


def test_a_database_url_that_cannot_be_parsed_is_a_usage_error():
    """cli.md: exit 2 for a usage error. An unparseable --db / VIGIL_DATABASE_URL, or one naming
    a database SQLAlchemy has no dialect for, was a traceback with exit 1."""
    for url in ("not-a-url", "bogus://host/db"):
        done = vigil("--db", url, "stats")
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        assert "invalid database URL" in done.stderr
