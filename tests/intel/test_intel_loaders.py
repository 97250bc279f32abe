"""MISP feeds and events, CSV and plain-text lists; format recognition."""

from __future__ import annotations

import json
import os

from vigil.intel.indicator import IndicatorKind
from vigil.intel.loader import load_path


def _event(uuid: str, attrs: list[dict]) -> dict:
    return {"Event": {"uuid": uuid, "info": "Stolen app secrets campaign", "threat_level_id": "1",
                      "Attribute": attrs[:1], "Object": [{"Attribute": attrs[1:]}]}}


def test_misp_feed_folder(tmp_path):
    feed = tmp_path / "misp-feed"
    feed.mkdir()
    (feed / "manifest.json").write_text(json.dumps({"e1": {"info": "x"}}))
    (feed / "e1.json").write_text(json.dumps(_event("e1", [
        {"uuid": "a1", "type": "ip-src", "value": "203.0.113.0/24", "to_ids": True},
        {"uuid": "a2", "type": "ip-dst|port", "value": "198.51.100.4|443", "to_ids": False},
        {"uuid": "a3", "type": "AS", "value": "AS64501", "to_ids": True, "deleted": True},
        {"uuid": "a4", "type": "user-agent", "value": "evil/1.0", "to_ids": True,
         "first_seen": "2026-03-01T00:00:00+00:00"},
        {"uuid": "a5", "type": "domain", "value": "evil.example"},
        {"uuid": "a6", "type": "ip-src", "value": "999.1.1.1"},
    ])))
    r = load_path(feed)
    got = [(i.id, i.kind.value, i.value, i.verified, i.revoked, i.confidence) for i in r.indicators]
    assert got == [("a1", "ip", "203.0.113.0/24", True, False, 90),
                   ("a2", "ip", "198.51.100.4/32", False, False, 90),
                   ("a3", "asn", "64501", False, True, 90),
                   ("a4", "userAgent", "evil/1.0", True, False, 90)]
    assert r.indicators[3].valid_from is not None
    assert all(i.source == "misp-feed" for i in r.indicators)
    assert r.ignored == 1 and len(r.rejects) == 1


def test_misp_attribute_search_export(tmp_path):
    """attributes/restSearch output ({"response": {"Attribute": [...]}}) was rejected whole as
    'not a MISP event'."""
    p = tmp_path / "attributes.json"
    p.write_text(json.dumps({"response": {"Attribute": [
        {"uuid": "b1", "type": "ip-dst", "value": "198.51.100.7", "to_ids": True,
         "Event": {"info": "C2 servers", "threat_level_id": "1", "uuid": "e9"}},
        {"uuid": "b2", "type": "user-agent", "value": "evil/2.0", "to_ids": False},
        {"uuid": "b3", "type": "url", "value": "https://x.example/"},
        {"uuid": "b4", "type": "ip-src", "value": "not-an-ip"},
        "junk",
    ]}}))
    r = load_path(p, source="misp-search")
    got = [(i.id, i.kind.value, i.value, i.name, i.confidence, i.verified) for i in r.indicators]
    assert got == [("b1", "ip", "198.51.100.7/32", "C2 servers", 90, True),
                   ("b2", "userAgent", "evil/2.0", None, None, False)]
    assert r.ignored == 1
    assert [w for w, _ in r.rejects] == [f"{p}#response.Attribute[3]", f"{p}#response.Attribute[4]"]


def test_csv_list(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("indicator,type,description,valid_until\n203.0.113.8,,scanner,2027-01-01\n"
                 "AS64500,asn,,\nsqlmap/1.7,user-agent,tool,\nnope,,,\n")
    r = load_path(p, source="team-list")
    assert [(i.kind, i.value, i.name) for i in r.indicators] == [
        (IndicatorKind.ip, "203.0.113.8/32", "scanner"), (IndicatorKind.asn, "64500", None),
        (IndicatorKind.user_agent, "sqlmap/1.7", "tool")]
    assert r.indicators[0].valid_until is not None and r.indicators[0].verified
    assert [w for w, _ in r.rejects] == [f"{p}:5"]
    again = load_path(p, source="team-list")
    assert [i.id for i in again.indicators] == [i.id for i in r.indicators]


def test_csv_feed_with_a_commented_header(tmp_path):
    """abuse.ch's CSV feeds open with # lines, the last of them the header: the whole file was
    rejected ('no value column')."""
    p = tmp_path / "ipblocklist.csv"
    p.write_text(
        "################################################################\n"
        "# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #\n"
        "################################################################\n"
        '# "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"\n'
        '"2021-01-17 07:30:05","162.243.103.246","8080","offline","2024-01-02","Emotet"\n'
        '"2023-05-02 11:00:00","50.16.16.211","443","online","2024-01-02","QakBot"\n'
        "# Number of entries: 2\n")
    r = load_path(p, source="feodo")
    assert [(i.kind, i.value) for i in r.indicators] == [
        (IndicatorKind.ip, "162.243.103.246/32"), (IndicatorKind.ip, "50.16.16.211/32")]
    assert r.indicators[0].valid_from is not None and r.rejects == []
    plain = tmp_path / "plain.csv"  # comments before an ordinary header
    plain.write_text("# team list\nip,comment\n203.0.113.9,scanner\nnope,x\n")
    r = load_path(plain, source="team")
    assert [(i.value, i.name) for i in r.indicators] == [("203.0.113.9/32", "scanner")]
    assert [w for w, _ in r.rejects] == [f"{plain}:4"]


def test_csv_confidence_in_every_form_a_feed_writes(tmp_path):
    """A confidence that was not all digits ('85.5', 'High') was dropped without a word."""
    p = tmp_path / "conf.csv"
    p.write_text("ip,confidence\n203.0.113.1,85.5\n203.0.113.2,High\n203.0.113.3,low\n"
                 "203.0.113.4,\n203.0.113.5,sure\n203.0.113.6,120\n")
    r = load_path(p, source="c")
    assert [(i.value, i.confidence) for i in r.indicators] == [
        ("203.0.113.1/32", 86), ("203.0.113.2/32", 85), ("203.0.113.3/32", 15),
        ("203.0.113.4/32", None)]
    assert [(w, "confidence" in why) for w, why in r.rejects] == [
        (f"{p}:6", True), (f"{p}:7", True)]


def test_text_list_and_kind_override(tmp_path):
    p = tmp_path / "tor.txt"
    p.write_text("# tor exits\n185.220.101.1\n2001:db8::/32 ; v6\n\nAS4242\nhello\n")
    r = load_path(p, verified=False)
    assert [i.value for i in r.indicators] == ["185.220.101.1/32", "2001:db8::/32", "4242"]
    assert not r.indicators[0].verified and len(r.rejects) == 1
    uas = tmp_path / "uas.txt"
    uas.write_text("python-requests/2.31.0\nMozilla/5.0 (Windows NT 10.0) # not a comment\n")
    r = load_path(uas, kind=IndicatorKind.user_agent)
    assert [i.value for i in r.indicators][1] == "Mozilla/5.0 (Windows NT 10.0) # not a comment"


def test_a_list_whose_file_name_is_not_utf8_is_named_so_a_store_takes_it(tmp_path):
    """``b\\xe4d.txt`` (a Latin-1 name): its indicators' source was the name with a lone
    surrogate, which the store refused; it is ``b\\xe4d`` now, and its rejects say so too."""
    (tmp_path / os.fsdecode(b"b\xe4d.txt")).write_text("198.51.100.9\nnot an indicator\n")
    r = load_path(tmp_path)
    assert [(i.value, i.source) for i in r.indicators] == [("198.51.100.9/32", "b\\xe4d")]
    [(where, _)] = r.rejects
    assert where.startswith(f"{tmp_path}/b\\xe4d.txt")
    for text in (r.indicators[0].source, where):
        text.encode()  # no lone surrogate left


def test_intel_add_of_a_list_whose_file_name_is_not_utf8(tmp_path):
    """``vigil intel add`` stored the feed's location with the name's lone surrogate, after the
    indicators: the store refused it, leaving the add half done with a traceback."""
    from click.testing import CliRunner

    from vigil.cli.main import cli
    from vigil.store import Store
    from vigil.store.intel import IndicatorRepository

    feed = tmp_path / os.fsdecode(b"b\xe4d.txt")
    feed.write_text("198.51.100.9\n")
    db = f"sqlite:///{tmp_path / 'vigil.db'}"
    result = CliRunner().invoke(cli, ["--db", db, "intel", "add", "--format", "json", str(feed)])
    assert result.exception is None, repr(result.exception)
    assert json.loads(result.stdout)["indicators"] == 1
    store = Store.open(db)
    try:
        [feed_row] = IndicatorRepository(store.engine).feeds()
    finally:
        store.close()
    assert feed_row["source"] == "b\\xe4d" and feed_row["location"] == f"{tmp_path}/b\\xe4d.txt"
