"""Polls TAXII 2.1 collections (OASIS TAXII 2.1 §5.3 Get Objects) with ``taxii2-client``.

A collection is configured by its URL, ``https://host/api-root/collections/<id>/``; credentials
for HTTP basic authentication may be written in the URL (``https://user:password@host/...``) and
are passed to the client, never logged. Every sync reads the whole collection (indicators only,
``match[type]=indicator``, page by page), so objects removed from the collection disappear from
the source on the next sync and revocations are picked up.
"""

from __future__ import annotations

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


def fetch_objects(ref: CollectionRef, verify: bool = True) -> list[dict[str, Any]]:
    """Every indicator object of the collection."""
    collection = Collection(ref.url, user=ref.user, password=ref.password, verify=verify)
    objects: list[dict[str, Any]] = []
    for envelope in as_pages(collection.get_objects, per_request=PAGE, type="indicator"):
        objects.extend(o for o in envelope.get("objects", []) if isinstance(o, dict))
    return objects
