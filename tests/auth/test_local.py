"""Local token format: prefix, checksum, hash and hint."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from vigil.auth import is_local_token, new_token, token_hash, token_hint
from vigil.auth.local import TOKEN_LENGTH


def test_new_tokens_are_recognised_and_distinct():
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(t.startswith("vgl_") and len(t) == TOKEN_LENGTH == 53 for t in tokens)
    assert all(is_local_token(t) for t in tokens)


def test_a_token_is_deterministic_given_its_randomness():
    assert new_token(lambda n: bytes(n)) == "vgl_" + "0" * 43 + new_token(lambda n: bytes(n))[-6:]
    assert new_token(lambda n: b"\xff" * n) != new_token(lambda n: bytes(n))


def test_a_mistyped_token_fails_the_checksum():
    token = new_token()
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    assert not is_local_token(flipped)
    assert not is_local_token(token[:-1])
    assert not is_local_token("ghp_" + token[4:])


def test_only_the_hash_and_a_short_hint_are_kept():
    token = new_token()
    assert token_hash(token) == hashlib.sha256(token.encode()).hexdigest()
    assert token_hint(token) == token[:8]


@given(st.text(max_size=80) | st.from_regex(r"vgl_[0-9A-Za-z]{49}", fullmatch=True))
def test_arbitrary_text_is_refused_without_raising(text):
    # A random body matches its 6-character CRC-32 checksum with probability ~2**-32.
    assert is_local_token(text) is False
