"""Polls TAXII 2.1 collections (OASIS TAXII 2.1 §5.3 Get Objects) with ``taxii2-client``.

A collection is configured by its URL, ``https://host/api-root/collections/<id>/``; credentials
for HTTP basic authentication may be written in the URL (``https://user:password@host/...``) and
are passed to the client, never logged. Every sync reads the whole collection (indicators only,
``match[type]=indicator``, page by page), so objects removed from the collection disappear from
the source on the next sync and revocations are picked up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from taxii2client.v21 import Collection, as_pages

PAGE = 500


@dataclass(frozen=True, slots=True)
class CollectionRef:
    url: str  # without credentials
    user: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, configured: str) -> CollectionRef:
        parts = urlsplit(configured.strip())
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        url = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/") + "/", "", ""))
        return cls(url, parts.username, parts.password)

    @property
    def source(self) -> str:
        """The feed name indicators from this collection are stored under."""
        return f"taxii:{self.url}"


class PagingError(RuntimeError):
    pass


def fetch_objects(ref: CollectionRef, verify: bool = True) -> list[dict[str, Any]]:
    """Every indicator object of the collection."""
    collection = Collection(ref.url, user=ref.user, password=ref.password, verify=verify)
    return read_pages(collection.get_objects)


def read_pages(get_objects: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    """The objects of every page (§3.4 ``more`` / ``next``). A page that says ``more`` without a
    ``next``, or with no objects, raises :class:`PagingError`: asking again would return the same
    page for ever (taxii2-client's ``as_pages`` does), and a partial read must not remove the rest.
    (A server may keep one ``next`` for all pages of a read: medallion does.)"""
    objects: list[dict[str, Any]] = []
    for envelope in as_pages(get_objects, per_request=PAGE, type="indicator"):
        page = [o for o in envelope.get("objects") or [] if isinstance(o, dict)]
        objects += page
        if envelope.get("more"):
            token = envelope.get("next")
            if not isinstance(token, str) or not token or not page:
                raise PagingError(f"the server says more objects follow but gives no 'next' or "
                                  f"no objects (next={token!r}) after {len(objects)} objects")
    return objects
