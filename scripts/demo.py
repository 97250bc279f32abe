"""`make demo`: Vigil end to end on the embedded default (SQLite under ./demo/).

1. simulate a tenant (200 service principals, 45 days, every attack scenario) into demo/tenant;
2. ingest it (detectors run inline) and load the leak/intel inputs the simulator wrote;
3. score the detections against the simulator's ground truth (`vigil eval`);
4. create an admin token and serve the API and console on http://127.0.0.1:8000 until Ctrl-C.

Each step is a real `vigil` command, printed before it runs, so any of them can be repeated by
hand. A second run reuses the tenant and the database and only starts the server again.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo"
TENANT = DEMO / "tenant"
DB = f"sqlite:///{DEMO / 'vigil.db'}"
HOST, PORT = "127.0.0.1", int(os.environ.get("VIGIL_DEMO_PORT", "8000"))
ENV = {
    **os.environ,
    "PYTHONUNBUFFERED": "1",
    "VIGIL_DATABASE_URL": DB,
    "VIGIL_INDICATORS__SERVER_KEY_FILE": str(DEMO / "server.key"),
}
ENV.pop("VIGIL_CONFIG", None)


def vigil(*args: str, capture: bool = False) -> str:
    print("$ vigil " + " ".join(shlex.quote(a) for a in args), flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "vigil.cli.main", *args],
        check=True,
        env=ENV,
        stdout=subprocess.PIPE if capture else None,
        text=True,
    )
    return done.stdout or ""


def main() -> int:
    DEMO.mkdir(exist_ok=True)
    if not (TENANT / "labels.json").exists():
        vigil("simulate", "--out", str(TENANT), "--seed", "7", "--force")
    vigil("migrate")
    stats = json.loads(vigil("stats", "--format", "json", capture=True))
    if stats["signIns"] == 0:
        vigil("credentials", "import", str(TENANT / "secrets.json"))
        vigil("intel", "add", str(TENANT / "intel" / "threat-intel.stix.json"))
        # Audit before sign-ins: authorized changes open re-learning windows for what follows.
        # The inventory snapshot last: it was taken after the logs, and dates maliciousApplication.
        vigil("ingest", str(TENANT / "audit"), str(TENANT / "signins"), str(TENANT / "graph"),
              str(TENANT / "inventory"))
        vigil("scan", str(TENANT / "repos"))
    vigil("stats")
    vigil("eval", "--labels", str(TENANT / "labels.json"))
    token = vigil("token", "create", "--role", "Security Administrator", "--name", "demo-admin",
                  capture=True).strip()
    print(
        f"\nVigil is serving on http://{HOST}:{PORT}/ (API: http://{HOST}:{PORT}/v1.0/"
        f"identityProtection/riskyServicePrincipals)\nadmin token: {token}\n"
        f"try: curl -H 'Authorization: Bearer {token}' "
        f"http://{HOST}:{PORT}/v1.0/identityProtection/riskyServicePrincipals\n"
        "Ctrl-C stops it.\n",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        vigil("serve", "--host", HOST, "--port", str(PORT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
