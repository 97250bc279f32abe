"""The ``README.md`` written next to a simulated tenant: what each file is and how it was made."""

from __future__ import annotations

from collections import Counter

from vigil.simulate.catalog import RECON_UAS
from vigil.simulate.rand import iso_s
from vigil.simulate.world import World


def render(world: World, counts: dict[str, int]) -> str:
    from vigil.simulate.attacks import SCENARIOS

    cfg, t = world.cfg, world.tenant
    labels = world.labels
    by_type = Counter(lb.risk_event_type for lb in labels.labels if lb.required)
    lines = [
        "# Simulated Entra tenant (vigil simulate)",
        "",
        f"Tenant **{t.name}** (`{t.id}`, {t.domain}), seed {cfg.seed}, {cfg.days} days from "
        f"{iso_s(t.start)} to {iso_s(t.end)}, {cfg.sps} workload principals, shape `{cfg.shape}`.",
        "Everything here is synthetic and generated deterministically: the same command writes the",
        "same bytes. Secrets are random values in Entra's format; none works anywhere.",
        "",
        "## Files",
        "",
        "| File | Records | What |",
        "|---|---:|---|",
    ]
    what = {
        "signins/ServicePrincipalSignIns.jsonl": "Graph beta `signIn` objects (service principals)",
        "signins/ManagedIdentitySignIns.jsonl": "Graph beta `signIn` objects (managed identities)",
        "signins/AADServicePrincipalSignInLogs.jsonl": "Log Analytics rows",
        "signins/AADManagedIdentitySignInLogs.jsonl": "Log Analytics rows",
        "audit/directoryAudits.jsonl": "Graph `directoryAudit` objects",
        "audit/AuditLogs.jsonl": "Log Analytics `AuditLogs` rows",
        "graph/MicrosoftGraphActivityLogs.jsonl": "Log Analytics rows",
        "intel/threat-intel.stix.json": "STIX 2.1 bundle (indicators)",
        "repos/": "files and bare git repositories with leaked and decoy secrets",
        "secrets.json": "`[{keyId, secretText, servicePrincipalId, appId}]` for "
                        "`vigil credentials import`",
        "labels.json": "ground truth: labels (+ benign changes, decoys)",
    }
    for path, n in counts.items():
        desc = what.get(path) or ("Log Analytics rows (CSV)" if path.endswith(".csv") else
                                  "Graph collection page (`@odata.context`, `value`)")
        lines.append(f"| `{path}` | {n:,} | {desc} |")
    lines += [
        "",
        "Use it (from this folder):",
        "",
        "```",
        "vigil ingest audit signins graph inventory   # audit before sign-ins, snapshot last; "
        "not the other files",
        "vigil intel add intel/threat-intel.stix.json",
        "vigil credentials import secrets.json",
        "vigil scan repos",
        "vigil eval --labels labels.json",
        "```",
        "",
        "JSON Lines files hold one record per line in time order. The inventory is a snapshot taken",
        "at the end of the timeline (the files' modification time). A leaked file's modification",
        "time is when it leaked; in the git repositories the commit time is.",
        "",
        "## Ground truth (`labels.json`)",
        "",
        "Each label: `riskEventType`, `servicePrincipalId`, `start` (first malicious record),",
        "`end` (last), `scenario`, `variant`, `required` (false: acceptable but not expected),",
        "`keyIds`, `records` (ids of the evidence by kind: `signIns`, `managedIdentitySignIns`,",
        "`directoryAudits`, `graphActivities` (RequestId), `servicePrincipals`, `applications`,",
        "`indicators`) and `files` (path, line, and commit for git). `benignChanges` lists",
        "authorized changes (time, kind, SP, audit ids): medium or high detections on those SPs",
        "within 48 hours are false alarms. `decoys` look like attacks and must not be detected.",
        "`adminConfirmedServicePrincipalCompromised` is not simulated in logs: it comes from an",
        "administrator's confirm action (`notSimulated`).",
        "",
        "Required labels by riskEventType: "
        + (", ".join(f"{k} {v}" for k, v in sorted(by_type.items())) or "none") + ".",
        "",
        "Score a Vigil database against them with `vigil eval --labels labels.json`.",
        "",
        "## Scenarios",
        "",
    ]
    for s in SCENARIOS.values():
        lines += [f"### `{s.name}` ({s.risk_event_type})", "", s.doc, ""]
    lines += [
        "Reconnaissance user agents used: " + ", ".join(f"`{u}`" for u in RECON_UAS) + ".",
        "",
        "## Benign behaviour",
        "",
        "Archetypes: scheduled daemons, CI/CD pipelines (GitHub Actions federation or self-hosted",
        "agents), Microsoft Graph integrations, third-party multi-tenant SaaS apps, managed",
        "identities, rarely used apps, occasional jobs (every 2-4 days). Daily and weekly",
        "seasonality (tenant local time UTC+1), failures 7000215 / 7000222 / 700027, secrets that",
        "expire and rotate, admins changing apps and registering new ones, the platform rotating",
        "managed-identity certificates.",
        "",
    ]
    return "\n".join(lines)
