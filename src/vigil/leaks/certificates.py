"""Key material in files: PEM blocks (RFC 7468) and PKCS#12 archives (RFC 7292).

Reduces what it finds to public facts only: a certificate's SHA-1 thumbprint (Entra's
``keyCredential.customKeyIdentifier`` by default, spec §10.3) and the SHA-256 of its
SubjectPublicKeyInfo; for a private key, the SHA-256 of the SubjectPublicKeyInfo of its public
half. A private key is a leak of the certificate credential whose public key it completes; a
certificate alone is public and leaks nothing. Key bytes are never kept.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

#: The literal that starts a PEM block; scanners look for it before parsing.
SNIFF = b"-----BEGIN "
_BLOCK = re.compile(
    rb"-----BEGIN ([A-Z0-9 ]{1,40})-----\r?\n([A-Za-z0-9+/=\r\n:,\-\ ]{16,65536}?)-----END \1-----"
)
_PRIVATE = ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY")
#: PKCS#12 passwords tried: none and empty (what exports without a password use).
_PASSWORDS = (None, b"")
#: DER of the OID pkcs7-data (1.2.840.113549.1.7.1), which every PFX carries near its start.
_PKCS7_DATA = bytes.fromhex("06092a864886f70d010701")


class Material(StrEnum):
    certificate = "certificate"
    private_key = "privateKey"
    encrypted_private_key = "encryptedPrivateKey"
    pkcs12 = "pkcs12"  # an archive that could not be opened without its password


@dataclass(frozen=True, slots=True)
class KeyMaterial:
    kind: Material
    #: Byte offset of the PEM block (None for a PKCS#12 archive: the whole file).
    offset: int | None
    #: SHA-1 thumbprint, upper-case hex (certificates).
    thumbprint: str | None = None
    #: SHA-256 of the DER SubjectPublicKeyInfo, hex (certificates and private keys).
    spki_sha256: str | None = None


def _spki(public_key: object) -> str:
    der = public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def _certificate(cert: x509.Certificate, offset: int | None) -> KeyMaterial:
    return KeyMaterial(
        Material.certificate,
        offset,
        thumbprint=cert.fingerprint(hashes.SHA1()).hex().upper(),
        spki_sha256=_spki(cert.public_key()),
    )


def from_pem(data: object, start: int = 0) -> list[KeyMaterial]:
    """Every certificate and private key in PEM blocks of ``data`` from ``start`` on."""
    found: list[KeyMaterial] = []
    for m in _BLOCK.finditer(data, start):  # type: ignore[call-overload]
        label = m.group(1).decode("ascii")
        try:
            der = base64.b64decode(b"".join(m.group(2).split()), validate=False)
        except (binascii.Error, ValueError):
            continue
        item = _pem_item(label, der, m.group(0), m.start())
        if item is not None:
            found.append(item)
    return found


def _pem_item(label: str, der: bytes, pem: bytes, offset: int) -> KeyMaterial | None:
    try:
        if label in ("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"):
            return _certificate(x509.load_der_x509_certificate(der), offset)
        if label == "ENCRYPTED PRIVATE KEY":
            return KeyMaterial(Material.encrypted_private_key, offset)
        if label in _PRIVATE:
            key = serialization.load_pem_private_key(pem, password=None)
            return KeyMaterial(Material.private_key, offset, spki_sha256=_spki(key.public_key()))
    except (ValueError, TypeError):
        return None  # malformed or passphrase-protected (Proc-Type: ENCRYPTED) block
    return None


def looks_like_pkcs12(data: bytes) -> bool:
    """A DER SEQUENCE that carries the pkcs7-data OID in its first bytes."""
    return len(data) > 64 and data[0] == 0x30 and _PKCS7_DATA in data[:64]


def from_pkcs12(data: bytes) -> list[KeyMaterial]:
    """The certificates and private key of a PKCS#12 archive opened without a password.

    An archive that needs a password yields one ``pkcs12`` item (counted, never matched).
    """
    for password in _PASSWORDS:
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(data, password)
        except (ValueError, TypeError):
            continue
        found = [_certificate(c, None) for c in ([cert] if cert else []) + list(extra)]
        if key is not None:
            found.append(KeyMaterial(Material.private_key, None,
                                     spki_sha256=_spki(key.public_key())))
        return found
    return [KeyMaterial(Material.pkcs12, None)]
