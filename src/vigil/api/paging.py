"""Server-driven paging: opaque ``$skiptoken`` values and absolute ``@odata.nextLink`` URLs.

``shared/spec`` §3.2: the next link repeats every original query option plus ``$skiptoken``, and
must be absolute (msgraph-core's PageIterator refuses anything not starting with ``http``). The
token encodes the offset of the next page (``v1.<offset>`` in unpadded base64url); a token that
does not decode is a 400. Offsets are stable while the data does not change between pages; each
page is ordered by the requested ``$orderby`` and then by the key, so no row is repeated or skipped
on unchanged data.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from urllib.parse import quote, urlencode

from vigil.api.errors import GraphError

_MAX_OFFSET = 10**9


def encode_skiptoken(offset: int) -> str:
    return base64.urlsafe_b64encode(f"v1.{offset}".encode()).rstrip(b"=").decode()


def decode_skiptoken(token: str) -> int:
    """The offset a ``$skiptoken`` stands for; raises a 400 :class:`GraphError` when invalid."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        text = ""
    version, _, digits = text.partition(".")
    if version != "v1" or not digits.isdigit() or not digits.isascii() or len(digits) > 10:
        raise GraphError(400, "invalid $skiptoken: use the @odata.nextLink exactly as received")
    offset = int(digits)
    if offset > _MAX_OFFSET:
        raise GraphError(400, "invalid $skiptoken: offset out of range")
    return offset


def next_link(base_url: str, path: str, options: Mapping[str, str], offset: int) -> str:
    """``base_url`` + ``path`` + the original options + ``$skiptoken`` for ``offset``."""
    query = {k: v for k, v in options.items() if k != "$skiptoken"}
    query["$skiptoken"] = encode_skiptoken(offset)
    return f"{base_url.rstrip('/')}{quote(path)}?{urlencode(query, quote_via=quote, safe='$')}"
