"""Every label points at records and files present in the output, in every shape."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from simfiles import labels, load, rows

from vigil.model import RiskEventType
from vigil.simulate.secrets import has_valid_checksum

#: Where each record kind lives and which field holds its id, per shape.
RECORDS = {
    "graph": {"signIns": ("signins/ServicePrincipalSignIns.jsonl", "id"),
              "managedIdentitySignIns": ("signins/ManagedIdentitySignIns.jsonl", "id"),
              "directoryAudits": ("audit/directoryAudits.jsonl", "id"),
              "graphActivities": ("graph/MicrosoftGraphActivityLogs.jsonl", "RequestId")},
    "loganalytics": {"signIns": ("signins/AADServicePrincipalSignInLogs.jsonl", "Id"),
                     "managedIdentitySignIns": ("signins/AADManagedIdentitySignInLogs.jsonl", "Id"),
                     "directoryAudits": ("audit/AuditLogs.jsonl", "Id"),
                     "graphActivities": ("graph/MicrosoftGraphActivityLogs.jsonl", "RequestId")},
    "loganalytics-csv": {"signIns": ("signins/AADServicePrincipalSignInLogs.csv", "Id"),
                         "managedIdentitySignIns": ("signins/AADManagedIdentitySignInLogs.csv",
                                                    "Id"),
                         "directoryAudits": ("audit/AuditLogs.csv", "Id"),
                         "graphActivities": ("graph/MicrosoftGraphActivityLogs.csv", "RequestId")},
}


def present_ids(out: Path, shape: str) -> dict[str, set[str]]:
    ids = {kind: {r[field] for r in rows(out / path)}
           for kind, (path, field) in RECORDS[shape].items()}
    ids["servicePrincipals"] = {x["id"] for x in load(out / "inventory/servicePrincipals.json")["value"]}
    ids["applications"] = {x["id"] for x in load(out / "inventory/applications.json")["value"]}
    ids["indicators"] = {x["id"] for x in load(out / "intel/threat-intel.stix.json")["objects"]}
    return ids


@pytest.mark.parametrize("fixture", ["graph_out", "la_out", "csv_out"])
def test_every_label_record_is_in_the_output(request, fixture):
    out: Path = request.getfixturevalue(fixture)
    doc = labels(out)
    ids = present_ids(out, doc["shape"])
    missing = [(lb["id"], kind, rid) for lb in doc["labels"] + doc["decoys"]
               for kind, values in lb["records"].items() for rid in values
               if rid not in ids[kind]]
    assert missing == []
    for lb in doc["labels"]:
        assert lb["servicePrincipalId"] in ids["servicePrincipals"], lb["id"]
        assert lb["start"] <= lb["end"], lb["id"]
        assert lb["records"] or lb["files"], lb["id"]
    audits = ids["directoryAudits"]
    assert all(a in audits for c in doc["benignChanges"] for a in c["auditIds"])


def test_label_times_are_the_first_and_last_evidence(graph_out):
    doc = labels(graph_out)
    when = {r["id"]: r["createdDateTime"] for r in rows(graph_out / RECORDS["graph"]["signIns"][0])}
    for lb in doc["labels"]:
        times = [when[i] for i in lb["records"].get("signIns", ())]
        if times and lb["scenario"] in ("stolen-secret", "threat-intel"):
            assert lb["start"] == min(times) and lb["end"] == max(times), lb["id"]


def test_leak_files_hold_the_labelled_secret(graph_out):
    doc = labels(graph_out)
    secrets = {s["keyId"]: s["secretText"] for s in load(graph_out / "secrets.json")}
    leaks = [lb for lb in doc["labels"] if lb["riskEventType"] == "leakedCredentials"]
    assert {lb["variant"] for lb in leaks} == {"repo-commit-then-used", "config-file",
                                               "git-history"}
    for lb in leaks:
        secret = secrets[lb["keyIds"][0]]
        assert has_valid_checksum(secret)
        (where,) = lb["files"]
        path = graph_out / where["path"]
        if "commit" in where:
            if shutil.which("git") is None:
                continue
            text = subprocess.run(["git", "-C", str(path), "show",
                                   f"{where['commit']}:{where['file']}"], capture_output=True,
                                  text=True, check=True).stdout
            head = subprocess.run(["git", "-C", str(path), "show", f"HEAD:{where['file']}"],
                                  capture_output=True, text=True, check=True).stdout
            assert secret not in head  # deleted by the next commit
        else:
            text = path.read_text(encoding="utf-8")
        assert secret in text.splitlines()[where["line"] - 1], lb["id"]


def test_decoy_files_name_no_valid_credential(graph_out):
    doc = labels(graph_out)
    inventory = {pc["keyId"]: pc for sp in load(graph_out / "inventory/applications.json")["value"]
                 for pc in sp["passwordCredentials"]}
    kinds = Counter(d["kind"] for d in doc["decoys"])
    assert kinds["leakFormatOnly"] == 1
    for d in doc["decoys"]:
        for key in d["keyIds"]:
            if d["kind"] == "leakExpiredCredential":
                assert inventory[key]["endDateTime"] < doc["start"]
            if d["kind"] == "leakRemovedCredential":
                assert key not in inventory
        for f in d["files"]:
            assert (graph_out / f["path"]).is_file()


def test_every_simulated_type_has_two_variants(graph_out):
    doc = labels(graph_out)
    variants: dict[str, set[str]] = {}
    for lb in doc["labels"]:
        if lb["required"]:
            variants.setdefault(lb["riskEventType"], set()).add(lb["variant"])
    expected = {t.value for t in RiskEventType} - {"adminConfirmedServicePrincipalCompromised"}
    assert set(variants) == expected
    assert all(len(v) >= 2 for v in variants.values()), variants
    assert [x["riskEventType"] for x in doc["notSimulated"]] == [
        "adminConfirmedServicePrincipalCompromised"]


def test_benign_changes_cover_every_kind(graph_out):
    kinds = {c["kind"] for c in labels(graph_out)["benignChanges"]}
    assert {"credentialRotation", "newRegion", "newResource", "newFederatedCredential",
            "platformCredentialRotation"} <= kinds


def test_benign_change_principals_are_not_attack_victims(graph_out):
    doc = labels(graph_out)
    victims = {lb["servicePrincipalId"] for lb in doc["labels"] if lb["required"]}
    assert victims.isdisjoint({c["servicePrincipalId"] for c in doc["benignChanges"]})
