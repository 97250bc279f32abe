"""Benchmark: ``vigil scan`` over a generated corpus (>= 500 MB), next to detect-secrets.

Prints figures; asserts nothing. The corpus is a tree of source, config and log files with
client secrets planted in known places: valid registered ones (the leaks), and decoys (well-formed
but unregistered, a broken checksum, the legacy ``7Q~`` form), plus PEM private keys and
high-entropy strings that are not secrets. Both tools read the same files from a warm page cache;
each runs as its own process, timed from start to exit.

    .venv/bin/python bench/scan.py                         # 512 MB corpus, both tools
    .venv/bin/python bench/scan.py --size-mb 64 --skip-detect-secrets

detect-secrets (Yelp) is the comparison (pip: ``detect-secrets``, the project's ``bench`` extra);
it has no Entra client-secret pattern, so its findings are its generic high-entropy and keyword
hits. Target (issue 6): Vigil >= 50 MB/s on the CI machine (2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(os.environ.get("TMPDIR", "/tmp"))
VENV_BIN = Path(sys.executable).parent
FILE_SIZE = 256 * 1024
NOW = datetime.now(UTC)
#: A PEM block that is not a key (truncated): counted by neither tool as a match of a credential.
PEM_NOISE = (b"\n-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n"
             b"-----END PRIVATE KEY-----\n")


def _lines(rng: random.Random, n: int) -> list[str]:
    """Plausible source / config / log lines; a few carry look-alikes and high-entropy values."""
    out = []
    for i in range(n):
        r = rng.random()
        if r < 0.35:
            out.append(f"    result_{i} = client.call('{rng.choice(('get', 'put', 'list'))}', "
                       f"id={rng.randrange(10**6)}, retries={rng.randrange(5)})")
        elif r < 0.6:
            out.append(f'  "setting{i}": "{uuid.UUID(int=rng.getrandbits(128))}",')
        elif r < 0.85:
            out.append(f"2026-10-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:00:00Z INFO "
                       f"request from 10.{rng.randrange(256)}.{rng.randrange(256)}.1 ok "
                       f"{rng.randrange(1000)}ms")
        elif r < 0.995:
            words = ("the", "cache", "token", "value", "retry")
            out.append("# " + " ".join(rng.choice(words) for _ in range(8)))
        elif r < 0.998:
            out.append(f"blob = \"{rng.randbytes(30).hex()}\"")  # high entropy, not a secret
        else:
            out.append("pattern = 'Q~' # not a secret")
    return out


def build_corpus(root: Path, size_mb: int, seed: int) -> dict:
    """Write the corpus; returns what was planted (keyIds, locations)."""
    from vigil.leaks.entra_secret import ALPHABET, checksum

    rng = random.Random(seed)
    pool = "\n".join(_lines(rng, 40_000)).encode()
    files = size_mb * 1024 * 1024 // FILE_SIZE
    planted: dict = {"valid": [], "decoys": 0, "keys": 0}

    def secret() -> str:
        head = "".join(rng.choice(ALPHABET.replace("-", "")) for _ in range(3)) + "8Q~"
        head += "".join(rng.choice(ALPHABET) for _ in range(31))
        return head + checksum(head)

    for n in range(files):
        folder = root / f"repo{n // 100:03d}" / rng.choice(("src", "config", "logs", "docs"))
        folder.mkdir(parents=True, exist_ok=True)
        start = rng.randrange(len(pool) - FILE_SIZE)
        body = pool[start:start + FILE_SIZE]
        name = f"file{n:05d}{rng.choice(('.py', '.json', '.log', '.md'))}"
        if n % 20 == 7:  # a valid, registered secret
            s = secret()
            key = str(uuid.UUID(int=rng.getrandbits(128)))
            planted["valid"].append({"keyId": key, "secretText": s, "path": str(folder / name)})
            body += f'\n"ClientSecret": "{s}"\n'.encode()
        elif n % 20 == 13:  # decoys: unregistered, broken checksum, legacy form
            s = secret()
            body += f"\nexample: {s}\ntypo: {s[:-1]}{'a' if s[-1] != 'a' else 'b'}\n".encode()
            body += f"old: abc7Q~{''.join(rng.choice(ALPHABET) for _ in range(31))}\n".encode()
            planted["decoys"] += 3
        elif n % 97 == 5:
            body += PEM_NOISE
            planted["keys"] += 1
        (folder / name).write_bytes(body)
    (root.parent / f"{root.name}.planted.json").write_text(json.dumps(planted))
    return planted


def prepare_db(db: Path, key_file: Path, planted: dict) -> None:
    """Inventory principals owning the planted secrets, and the registry."""
    from vigil.leaks.server_key import load_server_key
    from vigil.leaks.service import LeakService
    from vigil.model import Application, PasswordCredential, ServicePrincipal
    from vigil.services.risk import RiskService
    from vigil.store import Store

    store = Store.open(f"sqlite:///{db}", migrate=True)
    sps, apps = [], []
    for i, item in enumerate(planted["valid"]):
        cred = PasswordCredential(item["keyId"], hint=item["secretText"][:3],
                                  end_date_time=NOW + timedelta(days=365))
        sps.append(ServicePrincipal(id=str(uuid.UUID(int=i + 1)), app_id=f"app-{i}",
                                    display_name=f"bench app {i}"))
        apps.append(Application(id=f"obj-{i}", app_id=f"app-{i}", display_name=f"bench app {i}",
                                password_credentials=(cred,)))
    store.inventory.upsert_service_principals([(s, None) for s in sps], NOW)
    store.inventory.upsert_applications([(a, None) for a in apps], NOW)
    service = LeakService(store, RiskService(store, lambda: NOW), lambda: NOW,
                          load_server_key(None, key_file))
    service.import_credentials(json.dumps(planted["valid"]).encode())
    store.close()


def corpus_bytes(root: Path) -> int:
    total = 0
    for p in root.rglob("*"):
        if p.is_file():
            total += len(p.read_bytes())  # also warms the page cache for both tools
    return total


def run_vigil(root: Path, db: Path, key_file: Path) -> tuple[float, dict]:
    env = {**os.environ, "VIGIL_DATABASE_URL": f"sqlite:///{db}",
           "VIGIL_INDICATORS__SERVER_KEY_FILE": str(key_file)}
    started = time.perf_counter()
    out = subprocess.run([str(VENV_BIN / "vigil"), "scan", "--format", "json", str(root)],
                         env=env, check=True, capture_output=True)
    return time.perf_counter() - started, json.loads(out.stdout)


def run_detect_secrets(root: Path, exe: str) -> tuple[float, dict]:
    started = time.perf_counter()
    out = subprocess.run([exe, "scan", "--all-files", str(root)], check=True,
                         capture_output=True, cwd=root)
    return time.perf_counter() - started, json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=int, default=512)
    ap.add_argument("--dir", type=Path, default=ROOT / "vigil-bench-scan")
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--skip-detect-secrets", action="store_true")
    ap.add_argument("--detect-secrets", default=shutil.which("detect-secrets", path=str(VENV_BIN))
                    or shutil.which("detect-secrets"))
    args = ap.parse_args()
    root: Path = args.dir / "corpus"
    marker = args.dir / f"corpus-{args.size_mb}-{args.seed}.done"
    if not marker.exists():
        shutil.rmtree(args.dir, ignore_errors=True)
        root.mkdir(parents=True)
        print(f"writing a {args.size_mb} MB corpus to {root} ...", file=sys.stderr)
        build_corpus(root, args.size_mb, args.seed)
        marker.touch()
    planted = json.loads((args.dir / "corpus.planted.json").read_text())
    db, key_file = args.dir / "bench.db", args.dir / "server.key"
    for p in args.dir.glob("bench.db*"):
        p.unlink()
    prepare_db(db, key_file, planted)
    size = corpus_bytes(root)
    mb = size / 1e6
    print(f"corpus: {sum(1 for p in root.rglob('*') if p.is_file())} files, {mb:,.1f} MB; "
          f"planted: {len(planted['valid'])} valid secrets, {planted['decoys']} decoys, "
          f"{planted['keys']} PEM key blocks")

    seconds, summary = run_vigil(root, db, key_file)
    found = {m["keyId"] for m in summary["matched"]}
    wanted = {v["keyId"] for v in planted["valid"]}
    print(f"vigil scan:      {seconds:7.1f} s  {mb / seconds:8.1f} MB/s  candidates "
          f"{summary['candidates']}, matched {len(found & wanted)}/{len(wanted)} valid "
          f"(extra {len(found - wanted)}), decoys {summary['decoys']}, "
          f"key material {summary['keyMaterial']}")
    if args.skip_detect_secrets or not args.detect_secrets:
        print("detect-secrets:  skipped")
        return
    seconds, baseline = run_detect_secrets(root, args.detect_secrets)
    results = baseline.get("results", {})
    by_type: dict[str, int] = {}
    for items in results.values():
        for item in items:
            by_type[item["type"]] = by_type.get(item["type"], 0) + 1
    leaked_files = {str(Path(v["path"]).relative_to(root)) for v in planted["valid"]}
    hit_files = {f for f in results if f in leaked_files}
    print(f"detect-secrets:  {seconds:7.1f} s  {mb / seconds:8.1f} MB/s  findings "
          f"{sum(by_type.values())} {by_type}; files with a planted valid secret flagged "
          f"{len(hit_files)}/{len(leaked_files)} (no Entra pattern; no validity check)")


if __name__ == "__main__":
    main()
