"""Server-driven paging: opaque ``$skiptoken`` values and absolute ``@odata.nextLink`` URLs.

``shared/spec`` §3.2: the next link repeats every original query option plus ``$skiptoken``, and
must be absolute (msgraph-core's PageIterator refuses anything not starting with ``http``). A token
is unpadded base64url of ``v2.<JSON array>``, the sort key of the last row served
(:mod:`vigil.api.keyset`: no row repeated or skipped when rows are inserted between pages), or of
``v1.<offset>`` for lists held in memory (a principal's history, which only grows at its end). A
token that does not decode is a 400.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from vigil.api.errors import GraphError

_MAX_OFFSET = 10**9
_MAX_TOKEN = 8192


@dataclass(frozen=True)
class Skip:
    """What a ``$skiptoken`` stands for: an offset (``v1``) or the last row's sort key (``v2``)."""

    offset: int = 0
    after: tuple[Any, ...] | None = None


def encode_skiptoken(position: int | Sequence[Any]) -> str:
    """The token of an offset, or of a sort key (JSON values)."""
    if isinstance(position, int):
        text = f"v1.{position}"
    else:
        text = "v2." + json.dumps(list(position), separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def invalid_skiptoken(what: str = "") -> GraphError:
    detail = f" ({what})" if what else ""
    return GraphError(
        400, f"invalid $skiptoken{detail}: use the @odata.nextLink exactly as received"
    )


def decode_skiptoken(token: str) -> Skip:
    """What a ``$skiptoken`` stands for; raises a 400 :class:`GraphError` when invalid."""
    if len(token) > _MAX_TOKEN:
        raise invalid_skiptoken("too long")
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        text = ""
    version, _, rest = text.partition(".")
    if version == "v2":
        try:
            after = json.loads(rest)
        except ValueError:
            raise invalid_skiptoken() from None
        if not isinstance(after, list) or not after:
            raise invalid_skiptoken()
        return Skip(after=tuple(after))
    if version != "v1" or not rest.isdigit() or not rest.isascii() or len(rest) > 10:
        raise invalid_skiptoken()
    offset = int(rest)
    if offset > _MAX_OFFSET:
        raise invalid_skiptoken("offset out of range")
    return Skip(offset=offset)


def next_link(
    base_url: str, path: str, options: Mapping[str, str], position: int | Sequence[Any]
) -> str:
    """``base_url`` + ``path`` + the original options + ``$skiptoken`` for ``position``."""
    query = {k: v for k, v in options.items() if k != "$skiptoken"}
    query["$skiptoken"] = encode_skiptoken(position)
    return f"{base_url.rstrip('/')}{quote(path)}?{urlencode(query, quote_via=quote, safe='$')}"
