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


def test_removing_an_unknown_indicator_or_feed_is_a_failure(tmp_path):
    """As `vigil confirm` and `vigil token revoke` do for unknown ids: exit 1, nothing removed."""
    feed = tmp_path / "blocklist.txt"
    feed.write_text("198.51.100.7\n203.0.113.9\n")
    db = f"sqlite:///{tmp_path / 'vigil.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", db, "intel", "add", str(feed)]).exit_code == 0
    listed = json.loads(runner.invoke(cli, ["--db", db, "intel", "list", "--format", "json"]).stdout)
    ids = sorted({i["id"] for i in listed["value"]})
    assert len(ids) == 2

    typo = runner.invoke(cli, ["--db", db, "intel", "remove", ids[0], "indicator--typo"])
    assert typo.exit_code == 1
    assert "unknown indicator id(s): indicator--typo; nothing was removed" in typo.stderr
    wrong_feed = runner.invoke(cli, ["--db", db, "intel", "remove", "--source", "tor", ids[0]])
    assert wrong_feed.exit_code == 1 and "in feed 'tor'" in wrong_feed.stderr
    no_feed = runner.invoke(cli, ["--db", db, "intel", "remove", "--source", "blocklst"])
    assert no_feed.exit_code == 1 and "no feed or indicators named 'blocklst'" in no_feed.stderr
    still = json.loads(runner.invoke(cli, ["--db", db, "intel", "list", "--format", "json"]).stdout)
    assert len(still["value"]) == 2

    done = runner.invoke(cli, ["--db", db, "intel", "remove", ids[0]])
    assert done.exit_code == 0 and "removed 1 indicator values" in done.stderr
    gone = runner.invoke(cli, ["--db", db, "intel", "remove", "--source", "blocklist"])
    assert gone.exit_code == 0 and "removed 1 indicator values" in gone.stderr
