"""Helpers for the leak tests: secrets, certificates, git repositories, an inventory and an app."""

from __future__ import annotations

import json
import random
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from vigil.app import App, build
from vigil.leaks.entra_secret import ALPHABET, checksum
from vigil.model import Application, KeyCredential, PasswordCredential, ServicePrincipal
from vigil.settings import load_settings

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
HINTS = ALPHABET.replace("-", "")


def secret(rng: random.Random) -> str:
    head = "".join(rng.choice(HINTS) for _ in range(3)) + "8Q~"
    head += "".join(rng.choice(ALPHABET) for _ in range(31))
    return head + checksum(head)


def certificate(name: str = "leaky") -> tuple[bytes, bytes, str, x509.Certificate, object]:
    """(certificate PEM, unencrypted private key PEM, SHA-1 thumbprint, cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=365))
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return (cert.public_bytes(serialization.Encoding.PEM), key_pem,
            cert.fingerprint(hashes.SHA1()).hex().upper(), cert, key)


def git(repo: Path, *args: str, when: datetime | None = None) -> str:
    env = {"GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
           "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com",
           "HOME": str(repo), "PATH": "/usr/bin:/bin"}
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
    out = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                         env=env, text=True)
    return out.stdout.strip()


def principal(sp_id: str, app_id: str, key_id: str, *, end: datetime | None = None,
              thumbprint: str | None = None, on_app: bool = True
              ) -> tuple[ServicePrincipal, Application]:
    end = end or NOW + timedelta(days=300)
    if thumbprint:
        cred: object = KeyCredential(key_id, type="AsymmetricX509Cert", thumbprint=thumbprint,
                                     start_date_time=NOW - timedelta(days=30), end_date_time=end)
        field = "key_credentials"
    else:
        cred = PasswordCredential(key_id, hint="xyz", start_date_time=NOW - timedelta(days=30),
                                  end_date_time=end)
        field = "password_credentials"
    sp = ServicePrincipal(id=sp_id, app_id=app_id, display_name=f"app-{sp_id[:4]}",
                          **({} if on_app else {field: (cred,)}))
    app = Application(id=f"obj-{sp_id}", app_id=app_id, display_name=sp.display_name,
                      **({field: (cred,)} if on_app else {}))
    return sp, app


def leak_app(tmp_path: Path, sps: list[ServicePrincipal], apps: list[Application]) -> App:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'vigil.db'}",
                             indicators={"server_key_file": str(tmp_path / "server.key")})
    app = build(settings, clock=lambda: NOW)
    app.store.inventory.upsert_service_principals([(s, None) for s in sps], NOW)
    app.store.inventory.upsert_applications([(a, None) for a in apps], NOW)
    return app


def secrets_file(path: Path, items: list[dict[str, str]]) -> Path:
    path.write_text(json.dumps(items), encoding="utf-8")
    return path
