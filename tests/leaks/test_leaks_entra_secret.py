"""The Entra client-secret format and Microsoft's ``8Q~`` checksum (security-utilities SEC101/156)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigil.leaks import entra_secret
from vigil.leaks.entra_secret import ALPHABET, CHECKSUM_SEED, Shape, checksum, encode66, shape
from vigil.leaks.marvin import marvin32

#: Microsoft's own test example (AadClientAppIdentifiableCredentialsCurrent.GenerateTestExamples).
MICROSOFT_EXAMPLE = "zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP"


def make(prefix31: str, hint: str = "abc") -> str:
    head = hint + "8Q~" + prefix31
    return head + checksum(head)


def test_microsoft_example_is_valid():
    assert shape(MICROSOFT_EXAMPLE) is Shape.current
    assert marvin32(MICROSOFT_EXAMPLE[:37].encode("latin-1"), CHECKSUM_SEED) == 1473039165


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (MICROSOFT_EXAMPLE[:-1] + "Q", Shape.bad_checksum),
        ("abc7Q~" + "x" * 31, Shape.legacy),
        ("abc8Q~" + "x" * 33, Shape.bad_length),  # 39 characters
        ("abc7Q~" + "x" * 34, Shape.bad_length),  # 40 characters of the legacy form
    ],
)
def test_shapes(text, expected):
    assert shape(text) is expected


def test_checksum_accepts_the_padded_and_the_unpadded_encoding():
    # The current encoder pads to six digits (Encode(uint, minLength = 6)); older releases did not.
    # They differ only for values below 66**5, where both spellings must be accepted.
    rng = random.Random(7)
    for _ in range(10_000):
        head = "abc8Q~" + "".join(rng.choice(ALPHABET) for _ in range(31))
        value = marvin32(head.encode("latin-1"), CHECKSUM_SEED)
        if value < 66**5:
            break
    else:  # pragma: no cover - 29% of values qualify
        pytest.fail("no small checksum value found")
    padded, unpadded = encode66(value)[:3], encode66(value, 0)[:3]
    assert padded != unpadded
    assert padded == checksum(head) and padded.startswith("a")
    assert shape(head + padded) is Shape.current
    assert shape(head + unpadded) is Shape.current
    other = next(c for c in ("aaa", "bbb", "ccc") if c not in (padded, unpadded))
    assert shape(head + other) is Shape.bad_checksum


@given(st.text(alphabet=ALPHABET, min_size=31, max_size=31))
def test_any_body_with_its_checksum_is_current(body):
    assert shape(make(body)) is Shape.current


def _find(text: bytes) -> list[bytes]:
    return [m.group(1) for m in entra_secret.PATTERN.finditer(text)]


def test_pattern_needs_delimiters_on_both_sides():
    secret = MICROSOFT_EXAMPLE.encode()
    assert _find(b'"ClientSecret": "' + secret + b'"') == [secret]
    assert _find(b"x" + secret) == []  # a fourth character before the version digit
    assert _find(secret + b"/") == []  # '+' and '/' continue a base64 value
    assert _find(b"k=" + secret + b"\n") == [secret]


def test_looks_like_secret_and_hint():
    assert entra_secret.looks_like_secret(MICROSOFT_EXAMPLE)
    assert not entra_secret.looks_like_secret("not a secret at all, really not one")
    assert entra_secret.hint(MICROSOFT_EXAMPLE) == "zzz"


def test_simulator_marvin_agrees():
    from vigil.simulate.secrets import CHECKSUM_SEED as SEED
    from vigil.simulate.secrets import marvin32 as sim_marvin

    rng = random.Random(3)
    for n in range(50):
        data = bytes(rng.randrange(256) for _ in range(n))
        assert marvin32(data, SEED) == sim_marvin(data, SEED)
