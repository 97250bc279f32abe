"""`vigil intel add`'s exit code: 1 when its files gave no indicator and something was rejected."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from vigil.cli.main import cli


@pytest.mark.parametrize(
    ("text", "exit_code", "indicators"),
    [
        ("<html>502 Bad Gateway</html>\n", 1, 0),  # a proxy's error page saved as the feed
        ("", 0, 0),  # an empty download: nothing to add, nothing failed
        ("198.51.100.7\nnot an address\n", 0, 1),  # one bad line among good ones
    ],
)
def test_a_feed_that_gives_only_rejects_is_a_failure(tmp_path, text, exit_code, indicators):
    feed = tmp_path / "blocklist.txt"
    feed.write_text(text)
    db = f"sqlite:///{tmp_path / 'vigil.db'}"
    result = CliRunner().invoke(cli, ["--db", db, "intel", "add", "--format", "json", str(feed)])
    assert result.exit_code == exit_code, result.output
    assert json.loads(result.stdout)["indicators"] == indicators
