"""Write a simulated :class:`~vigil.simulate.world.World` to a folder in the chosen shape.

Layout (``--shape graph``; with ``loganalytics`` the sign-in and audit files are LA rows named after
their tables; ``loganalytics-csv`` writes the same rows, and the Graph activity rows, as CSV files
with a header row, JSON columns as JSON text):

```
signins/ServicePrincipalSignIns.jsonl    beta signIn objects, one per line
                                         (loganalytics: AADServicePrincipalSignInLogs.jsonl)
signins/ManagedIdentitySignIns.jsonl     (AADManagedIdentitySignInLogs.jsonl)
audit/directoryAudits.jsonl              directoryAudit objects (AuditLogs.jsonl)
graph/MicrosoftGraphActivityLogs.jsonl   Log Analytics rows (the table has no Graph API)
inventory/servicePrincipals.json         collection pages of 999 (servicePrincipals.2.json, ...)
inventory/applications.json
intel/threat-intel.stix.json             STIX 2.1 bundle
repos/...                                leaked and decoy secrets; *.git are bare git repositories
secrets.json                             the admin's export for `vigil credentials import`
labels.json                              ground truth (vigil.simulate.labels)
README.md
```

Records are in time order (ties by id); every byte depends only on the configuration.
"""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

from vigil.simulate.config import SimulationError
from vigil.simulate.rand import Rand, iso_s
from vigil.simulate.stix import bundle
from vigil.simulate.world import World
from vigil.simulate.writers import graph_shape, loganalytics, readme

TOP_LEVEL = ("signins", "audit", "graph", "inventory", "intel", "repos", "secrets.json",
             "labels.json", "README.md")
PAGE = 999
SP_CONTEXT = "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals(appRoleAssignments())"
APP_CONTEXT = ("https://graph.microsoft.com/v1.0/$metadata#applications"
               "(federatedIdentityCredentials())")


def prepare(out: Path, force: bool) -> None:
    """Make ``out`` ready: it must be empty or absent, or ``force`` clears what a run writes."""
    if out.exists() and not out.is_dir():
        raise SimulationError(f"{out} exists and is not a folder")
    if out.exists() and any(out.iterdir()):
        if not force:
            raise SimulationError(f"{out} is not empty; use --force to replace a previous run")
        for name in TOP_LEVEL:
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    out.mkdir(parents=True, exist_ok=True)


def _jsonl(path: Path, items: Iterable[Any], render: Callable[[Any], dict[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    dumps = orjson.dumps
    with path.open("wb") as f:
        chunk: list[bytes] = []
        for item in items:
            chunk.append(dumps(render(item)))
            n += 1
            if len(chunk) >= 20_000:
                f.write(b"\n".join(chunk) + b"\n")
                chunk.clear()
        if chunk:
            f.write(b"\n".join(chunk) + b"\n")
    return n


def _csv(path: Path, items: Iterable[Any], render: Callable[[Any], dict[str, Any]]) -> int:
    """CSV with the first row's columns as the header (every row of a table has the same)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer: csv.DictWriter[str] | None = None
        for item in items:
            row = render(item)
            if writer is None:
                writer = csv.DictWriter(f, fieldnames=list(row), restval="")
                writer.writeheader()
            writer.writerow(row)
            n += 1
    return n


def _json(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")


def _pages(folder: Path, stem: str, context: str, items: list[dict[str, Any]], url: str,
           counts: dict[str, int], snapshot_ms: int) -> None:
    """Collection pages of ``PAGE`` items; each file's modification time is the snapshot time."""
    chunks = [items[i : i + PAGE] for i in range(0, len(items), PAGE)] or [[]]
    for i, chunk in enumerate(chunks):
        name = f"{stem}.json" if i == 0 else f"{stem}.{i + 1}.json"
        nxt = f"{url}&$skiptoken=page{i + 2}" if i + 1 < len(chunks) else None
        _json(folder / name, graph_shape.page(context, chunk, nxt))
        os.utime(folder / name, (snapshot_ms // 1000, snapshot_ms // 1000))
        counts[f"inventory/{name}"] = len(chunk)


def write(world: World, out: Path) -> dict[str, int]:
    """Write every file; returns ``{relative path: records}`` (files for ``repos/``)."""
    tenant = world.tenant
    shape = world.cfg.shape
    counts: dict[str, int] = {}
    signins = world.activity.sorted_signins()
    sp_signins = [e for e in signins if not e.managed]
    mi_signins = [e for e in signins if e.managed]
    if shape == "graph":
        names = ("ServicePrincipalSignIns", "ManagedIdentitySignIns", "directoryAudits")
        sign_in = lambda e: graph_shape.signin(e, tenant)  # noqa: E731
        audit_doc = lambda a: a.doc  # noqa: E731
    else:
        names = ("AADServicePrincipalSignInLogs", "AADManagedIdentitySignInLogs", "AuditLogs")
        sign_in = lambda e: loganalytics.signin_row(e, tenant)  # noqa: E731
        audit_doc = lambda a: loganalytics.audit_row(a, tenant)  # noqa: E731
    ext, dump = (".csv", _csv) if shape == "loganalytics-csv" else (".jsonl", _jsonl)
    files = (
        (f"signins/{names[0]}", sp_signins, sign_in),
        (f"signins/{names[1]}", mi_signins, sign_in),
        (f"audit/{names[2]}", world.activity.sorted_audits(), audit_doc),
        ("graph/MicrosoftGraphActivityLogs", world.activity.sorted_calls(),
         lambda c: loganalytics.graph_activity_row(c, tenant)),
    )
    for name, items, render in files:
        counts[name + ext] = dump(out / (name + ext), items, render)
    sps = [graph_shape.service_principal(p, tenant) for p in tenant.all_principals()]
    apps = [graph_shape.application(p, tenant) for p in tenant.all_principals() if p.is_home_app]
    _pages(out / "inventory", "servicePrincipals", SP_CONTEXT, sps,
           "https://graph.microsoft.com/v1.0/servicePrincipals?$expand=appRoleAssignments&$top=999",
           counts, tenant.end)
    _pages(out / "inventory", "applications", APP_CONTEXT, apps,
           "https://graph.microsoft.com/v1.0/applications?$expand=federatedIdentityCredentials"
           "&$top=999", counts, tenant.end)
    intel = bundle(Rand.derive(world.cfg.seed, "stix"), world.indicators, tenant.start)
    _json(out / "intel" / "threat-intel.stix.json", intel)
    counts["intel/threat-intel.stix.json"] = len(intel["objects"]) - 1
    counts["repos/"] = _write_repos(world, out)
    secrets = [{"keyId": c.key_id, "secretText": c.secret, "servicePrincipalId": p.id,
                "appId": p.app_id}
               for p in tenant.principals for c in p.credentials
               if c.secret and c.created_by == "admin"]
    _json(out / "secrets.json", secrets)
    counts["secrets.json"] = len(secrets)
    _json(out / "labels.json", world.labels.to_dict())
    counts["labels.json"] = len(world.labels.labels)
    (out / "README.md").write_text(readme.render(world, counts), encoding="utf-8")
    return counts


def _write_repos(world: World, out: Path) -> int:
    n = 0
    for f in sorted(world.files, key=lambda f: f.path):
        path = out / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.content, encoding="utf-8")
        os.utime(path, (f.time // 1000, f.time // 1000))
        n += 1
    for name in sorted(world.repos):
        world.repos[name].write(out / "repos" / name)
        n += 1
    return n


def summary_lines(counts: dict[str, int]) -> list[str]:
    width = max(len(k) for k in counts)
    return [f"{k.ljust(width)}  {v:>9,}" for k, v in counts.items()]


def stamp(ms: int) -> str:
    return iso_s(ms)
