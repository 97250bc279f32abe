"""Finding secrets and key material in buffers: prefilter + exact pattern, offsets and lines."""

from __future__ import annotations

import mmap
import random

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from leak_fixtures import certificate, secret

from vigil.leaks import certificates
from vigil.leaks.certificates import Material
from vigil.leaks.entra_secret import Shape
from vigil.leaks.scanner import LineCounter, find_key_material, find_secrets


def test_find_secrets_digests_and_lines():
    rng = random.Random(1)
    a, b = secret(rng), secret(rng)
    legacy = "abc7Q~" + "k" * 31
    text = f"x=1\nsecret: {a}\n# Q~ alone\nother={legacy} and '{b[:-1]}Z'\n{b}\n".encode()
    seen: list[str] = []

    def digest(s: str) -> str:
        seen.append(s)
        return f"d{len(seen)}"

    hits = list(find_secrets(text, digest))
    assert [h.shape for h in hits] == [Shape.current, Shape.legacy, Shape.bad_checksum,
                                       Shape.current]
    assert [h.hint for h in hits] == [a[:3], "abc", b[:3], b[:3]]
    assert all(h.digest for h in hits)
    lines = LineCounter(text)
    assert [lines.line(h.offset) for h in hits] == [2, 4, 4, 5]
    assert text[hits[0].offset:hits[0].offset + 40].decode() == a


def test_find_secrets_on_mmap(tmp_path):
    s = secret(random.Random(2))
    p = tmp_path / "big.bin"
    p.write_bytes(b"\0" * 3_000_000 + f"\n{s}\n".encode() + b"\xff" * 1000)
    with p.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        hits = list(find_secrets(m, lambda x: "d"))
    assert len(hits) == 1 and hits[0].offset == 3_000_001


def test_secret_at_buffer_start_and_end():
    s = secret(random.Random(3)).encode()
    assert len(list(find_secrets(s, lambda x: "d"))) == 1


def test_pem_certificate_and_private_key():
    cert_pem, key_pem, thumb, _cert, _key = certificate()
    found = find_key_material(b"junk\n" + cert_pem + b"\nmore\n" + key_pem)
    kinds = {m.kind: m for m in found}
    assert kinds[Material.certificate].thumbprint == thumb
    assert kinds[Material.private_key].spki_sha256 == kinds[Material.certificate].spki_sha256
    assert find_key_material(b"no pem here") == []


def test_encrypted_private_key_is_counted_not_read():
    _, _, _, _, key = certificate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(b"pw"))
    assert [m.kind for m in find_key_material(pem)] == [Material.encrypted_private_key]


def test_pkcs12_with_and_without_password():
    _, _, thumb, cert, key = certificate()
    open_pfx = pkcs12.serialize_key_and_certificates(b"x", key, cert, None,
                                                     serialization.NoEncryption())
    assert certificates.looks_like_pkcs12(open_pfx)
    found = certificates.from_pkcs12(open_pfx)
    assert {m.kind for m in found} == {Material.certificate, Material.private_key}
    assert next(m for m in found if m.kind is Material.certificate).thumbprint == thumb
    locked = pkcs12.serialize_key_and_certificates(b"x", key, cert, None,
                                                   serialization.BestAvailableEncryption(b"pw"))
    assert [m.kind for m in certificates.from_pkcs12(locked)] == [Material.pkcs12]


def test_secret_after_a_string_escape():
    """In an escaped JSON string the letter of ``\\n`` / ``\\t`` precedes the secret: it is found."""
    s = secret(random.Random(21))
    for esc in (rb"\n", rb"\t", rb"\r"):
        buf = b'{"message": "token request failed' + esc + s.encode() + b'"}'
        hits = list(find_secrets(buf, lambda t: "d"))
        assert [(h.shape, h.offset) for h in hits] == [(Shape.current, buf.index(s.encode()))]
