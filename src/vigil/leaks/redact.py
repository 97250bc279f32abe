"""Secret values out of what Vigil keeps of its input: raw records and rejected records.

Vigil keeps each record as read (the ``raw`` columns) and the text of each rejected record, for
inspection. An export can hold secret values: an application's
``passwordCredentials[].secretText`` (Graph returns it when a secret is added, and scripts that
dump applications keep it), a ``secrets.json`` handed to ``vigil ingest`` by mistake, or a client
secret pasted into any field. Before such text is stored or written to a rejects file:

* every string of the form of an Entra client secret (:data:`vigil.leaks.entra_secret.PATTERN`,
  ``xxx7Q~...`` / ``xxx8Q~...``) becomes its three-character hint (Graph's ``hint``) followed by
  ``[redacted]``;
* the value of every JSON member named ``secretText`` (older secrets have no ``Q~`` form) becomes
  ``"[redacted]"``.

Both keep the JSON valid and a block's line structure unchanged. The first costs one byte search
(``~``) on text without a tilde; :func:`redact_shaped` does only that, for the bulk sign-in and
Graph activity blocks, whose records have no secret members.
"""

from __future__ import annotations

import re

from vigil.leaks.entra_secret import PATTERN

MARK = b"[redacted]"
_MEMBER = re.compile(rb'("secretText"\s*:\s*)"(?:[^"\\]|\\.)*"')
_MEMBER_NAME = b'"secretText"'


def _hint_only(match: re.Match[bytes]) -> bytes:
    return match.group(1)[:3] + MARK


def redact_shaped(data: bytes) -> bytes:
    """``data`` with every client-secret-shaped string cut to its hint (module doc)."""
    if b"~" not in data:
        return data
    return PATTERN.sub(_hint_only, data)


def redact(data: bytes) -> bytes:
    """``data`` with secret-shaped strings and ``secretText`` values redacted (module doc)."""
    data = redact_shaped(data)
    if _MEMBER_NAME in data:
        data = _MEMBER.sub(rb'\1"' + MARK + rb'"', data)
    return data


def redact_text(text: str) -> str:
    """:func:`redact` for text (a reject's reason may quote a value)."""
    if "~" not in text and "secretText" not in text:
        return text
    return redact(text.encode("utf-8", "surrogateescape")).decode("utf-8", "surrogateescape")
