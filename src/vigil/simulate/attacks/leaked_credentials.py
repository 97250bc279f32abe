"""leakedCredentials: valid client secrets found in code, and decoys that must not match.

* ``repo-commit-then-used``: a daemon's current secret is committed to ``appsettings.Development.json``
  and used 4-30 hours later from a VPS (those sign-ins are acceptable as suspiciousSignins).
* ``config-file``: a current secret in a deployment ``.env`` file; never used.
* ``git-history``: a current secret committed to a bare git repository and deleted by the next
  commit two hours later; only the history holds it.

Decoys (:func:`decoys`, always written): a well-formed secret with a valid checksum that belongs
to no application, a legacy ``7Q~`` value and a broken-checksum copy (format only); an expired
secret that was never removed; a rotated secret after its removal. The leak time of a plain file is
its modification time; of a git leak, the commit time.
"""

from __future__ import annotations

import json

from vigil.simulate.attacks.common import abroad, any_secret_app, forge, secret_daemon, spread
from vigil.simulate.catalog import ATTACKER_UAS
from vigil.simulate.gitrepo import BareRepo, Commit
from vigil.simulate.rand import DAY, HOUR, Rand
from vigil.simulate.secrets import broken_checksum, legacy_secret, new_secret
from vigil.simulate.tenant import Credential, Principal, resource
from vigil.simulate.world import RepoFile, World

SCENARIO = "leaked-secret"
TYPE = "leakedCredentials"
DEV = "Sam Developer <sam.dev@northwindtraders.com>"


def _current(p: Principal, t: int) -> Credential:
    seg = p.segment_at(t)
    assert seg is not None and seg.cred is not None and seg.cred.secret is not None
    return seg.cred


def _line(content: str, needle: str) -> int:
    return next(i for i, line in enumerate(content.splitlines(), 1) if needle in line)


def _team(p: Principal) -> str:
    """A repository-name stem: the team of ``billing-sync``, else the slugged display name."""
    name = p.display_name
    if " " not in name and "-" in name:
        return name.split("-")[0] if p.archetype == "daemon" else name.split("-")[1]
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


def repo_commit_then_used(world: World, rng: Rand) -> None:
    (p,) = world.claim(rng, f"{SCENARIO}/repo-commit-then-used", secret_daemon)
    t_leak = world.attack_time(rng, latest_margin=2 * DAY)
    cred = _current(p, t_leak)
    settings = {"Logging": {"LogLevel": {"Default": "Information"}},
                "AzureAd": {"Instance": "https://login.microsoftonline.com/",
                            "TenantId": world.tenant.id, "ClientId": p.app_id,
                            "ClientSecret": cred.secret},
                "ConnectionStrings": {"Default": "Server=localhost;Database=dev;Trusted_Connection=True"}}
    content = json.dumps(settings, indent=2) + "\n"
    path = f"repos/{_team(p)}-api/src/appsettings.Development.json"
    world.files.append(RepoFile(path, content, t_leak))
    seg = p.segment_at(t_leak)
    assert seg is not None
    network = abroad(rng, seg.site.network.country)
    ip, ua = network.ip(rng), rng.pick(ATTACKER_UAS)
    t_use = t_leak + rng.randrange(4 * HOUR, 30 * HOUR)
    uses = [forge(rng, p, t, ip, network, rng.pick((resource("graph"), *seg.resources)), ua)
            for t in spread(rng, t_use, 2 + rng.randrange(7), 3 * HOUR)]
    world.add(uses)
    where = ({"path": path, "line": _line(content, "ClientSecret")},)
    world.label(TYPE, p, SCENARIO, "repo-commit-then-used", uses, start=t_leak,
                key_ids=(cred.key_id,), files=where,
                description=f"current secret {cred.hint}... committed to {path}, used from {ip}")
    world.label("suspiciousSignins", p, SCENARIO, "repo-commit-then-used", uses,
                key_ids=(cred.key_id,), required=False,
                description="the leaked secret's use from a VPS")


def config_file(world: World, rng: Rand) -> None:
    (p,) = world.claim(rng, f"{SCENARIO}/config-file", any_secret_app)
    t_leak = world.attack_time(rng)
    cred = _current(p, t_leak)
    content = (f"# deployment settings for {p.display_name}\nAZURE_TENANT_ID={world.tenant.id}\n"
               f"AZURE_CLIENT_ID={p.app_id}\nAZURE_CLIENT_SECRET={cred.secret}\n"
               f"LOG_LEVEL=info\n")
    path = f"repos/{_team(p)}-infra/deploy/.env"
    world.files.append(RepoFile(path, content, t_leak))
    world.label(TYPE, p, SCENARIO, "config-file", [], start=t_leak, end=t_leak,
                key_ids=(cred.key_id,),
                files=({"path": path, "line": _line(content, "AZURE_CLIENT_SECRET")},),
                description=f"current secret {cred.hint}... in {path}")


def git_history(world: World, rng: Rand) -> None:
    (p,) = world.claim(rng, f"{SCENARIO}/git-history", any_secret_app)
    t_leak = world.attack_time(rng)
    cred = _current(p, t_leak)
    name = f"{_team(p)}-tools.git"
    script = (b"import os\n\nfrom azure.identity import ClientSecretCredential\n\n"
              b"cred = ClientSecretCredential(os.environ['TENANT'], os.environ['CLIENT_ID'],\n"
              b"                              os.environ['CLIENT_SECRET'])\n")
    leaked = (f"tenant_id: {world.tenant.id}\nclient_id: {p.app_id}\n"
              f"client_secret: \"{cred.secret}\"\nscope: https://graph.microsoft.com/.default\n")
    cleaned = (f"tenant_id: {world.tenant.id}\nclient_id: {p.app_id}\n"
               f"client_secret: ${{CLIENT_SECRET}}\nscope: https://graph.microsoft.com/.default\n")
    readme = f"# {name[:-4]}\n\nOperational scripts for {p.display_name}.\n".encode()
    s = t_leak // 1000
    history = [
        Commit("Initial commit", DEV, s - 20 * 86_400, {"README.md": readme, "run.py": script}),
        Commit("Add settings for local testing", DEV, s,
               {"README.md": readme, "run.py": script, "config/settings.yaml": leaked.encode()}),
        Commit("Remove hard-coded secret", DEV, s + 7_200,
               {"README.md": readme, "run.py": script, "config/settings.yaml": cleaned.encode()}),
    ]
    repo = BareRepo()
    shas = repo.build(history)
    world.repos[name] = repo
    where = {"path": f"repos/{name}", "commit": shas[1], "file": "config/settings.yaml",
             "line": _line(leaked, "client_secret")}
    world.label(TYPE, p, SCENARIO, "git-history", [], start=t_leak, end=t_leak,
                key_ids=(cred.key_id,), files=(where,),
                description=f"current secret {cred.hint}... committed in {shas[1][:10]} and "
                            f"deleted in {shas[2][:10]}")


def decoys(world: World) -> None:
    """Leak-shaped decoys; see the module docstring. Runs after the benign changes."""
    rng = world.rng("decoys", "leaks")
    t = world.attack_time(rng)
    fake, legacy = new_secret(rng), legacy_secret(rng)
    doc = (f"# Authenticating to Microsoft Graph\n\nCreate a client secret and put it in your "
           f"settings, for example:\n\n```json\n{{\"ClientSecret\": \"{fake}\"}}\n```\n\n"
           f"Older secrets look like `{legacy}`.\nA typo'd copy: `{broken_checksum(fake)}`\n")
    path = "repos/docs-portal/docs/authentication.md"
    world.files.append(RepoFile(path, doc, t))
    world.decoy("leakFormatOnly", t, "well-formed secrets that belong to no application",
                files=({"path": path, "line": _line(doc, fake)},))
    expired = [(p, c) for p in world.tenant.principals for c in p.credentials
               if c.secret and c.removed is None and c.end < world.tenant.start
               and c.created_by == "admin" and p.claimed_by is None]
    if expired:
        p, c = rng.pick(expired)
        content = (f"<configuration>\n  <appSettings>\n    <add key=\"ClientId\" value=\"{p.app_id}\" />\n"
                   f"    <add key=\"ClientSecret\" value=\"{c.secret}\" />\n  </appSettings>\n"
                   f"</configuration>\n")
        path = f"repos/legacy-batch/{_team(p)}/App.config"
        world.files.append(RepoFile(path, content, t))
        world.decoy("leakExpiredCredential", t, "an expired secret (still listed, never removed)",
                    sp=p, key_ids=(c.key_id,),
                    files=({"path": path, "line": _line(content, "ClientSecret")},))
    removed = [(p, c) for p in world.tenant.principals for c in p.credentials
               if c.secret and c.removed is not None and c.removed < world.tenant.end - DAY]
    if removed:
        p, c = rng.pick(removed)
        t_file = (c.removed or 0) + rng.randrange(HOUR, DAY)
        content = f"old secret for {p.display_name} (rotated, removed):\n{c.secret}\n"
        path = f"repos/{_team(p)}-notes/old-credentials.txt"
        world.files.append(RepoFile(path, content, t_file))
        world.decoy("leakRemovedCredential", t_file, "a secret removed by a rotation",
                    sp=p, key_ids=(c.key_id,), files=({"path": path, "line": 2},))


VARIANTS = {"repo-commit-then-used": repo_commit_then_used, "config-file": config_file,
            "git-history": git_history}
