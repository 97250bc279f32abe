"""A record's bytes as the generic path keeps them: written again from decoded JSON, secrets
redacted (``vigil.leaks.redact``), and a span's bytes decoded as the reader decodes a document.

Split out of ``vigil.ingest.parse``, whose generic path (``_parse_into``) uses them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from vigil.ingest.items import Item, RawSpan, ReadError, excerpt_of
from vigil.ingest.readers import json_reason
from vigil.ingest.unwrap import unwrap_item
from vigil.leaks.redact import (
    hides_shaped,
    names_escaped_member,
    redact,
    redact_cut,
    redact_members,
    redact_shaped,
)

#: The reason of a record nested deeper than orjson writes (the JSON reader reads 1,024 levels).
TOO_DEEP = "nested more than 254 levels deep"


def dumps(value: Any) -> bytes | None:
    """``value`` as JSON, None when it is nested deeper than orjson writes."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return None


def redacted(raw: bytes) -> bytes | None:
    """A record's bytes with its secrets redacted (``vigil.leaks.redact``), decoded where
    ``\\u`` escapes hide them; None if it is nested too deep to be written again."""
    hidden = hides_shaped(raw)  # of the bytes as read: a decoded copy shows no escape
    clean: bytes | None = redact(raw)
    if clean is not None and names_escaped_member(clean):  # "secret\u0054ext"
        clean = dumps(redact_members(orjson.loads(clean)))
    if clean is not None and hidden:  # a client secret spelled with \u escapes
        plain = dumps(orjson.loads(clean))
        if plain is None:
            return None
        if (shaped := redact_shaped(plain)) != plain:
            clean = shaped
    return clean


def decoded(item: RawSpan) -> Iterator[Item]:
    """What a span holds, decoded and unwrapped as the reader unwraps a decoded collection."""
    try:
        value = orjson.loads(item.raw)
    except orjson.JSONDecodeError as exc:
        reason = json_reason(item.raw, exc)
        yield ReadError(item.source, item.line, reason, redact_cut(excerpt_of(item.raw)))
        return
    yield from unwrap_item(value, item.source, item.line, item.shape_hint)
