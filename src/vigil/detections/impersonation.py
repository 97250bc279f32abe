"""Display names that impersonate Microsoft first-party apps or well-known brands.

A name is reduced to a *skeleton* in the spirit of Unicode TS #39 §4: each character that is
confusable with a Latin letter or digit (Unicode's confusables data, via ``confusable-homoglyphs``)
is replaced by it, accents are stripped (NFKD), and everything but ``a-z0-9`` is dropped after
lower-casing. A brand found in the skeleton whose span in the original name contains a
non-ASCII character is a **homoglyph impersonation** ("Micrоsoft" with a Cyrillic о); a brand
written in plain ASCII is only a **mention** ("Contoso Teams Bot").
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from confusable_homoglyphs import confusables

#: Brands worth impersonating (lower-case, letters only, at least 4 characters).
MICROSOFT_BRANDS = (
    "microsoft", "office", "outlook", "teams", "onedrive", "sharepoint", "azure", "exchange",
    "skype", "intune", "dynamics", "powerbi", "windows", "defender", "entra", "onenote", "yammer",
)
OTHER_BRANDS = (
    "docusign", "adobe", "zoom", "google", "gmail", "dropbox", "salesforce", "slack", "okta",
    "github", "apple", "icloud", "amazon", "paypal", "servicenow", "atlassian", "workday",
    "zendesk", "hubspot", "webex", "linkedin", "facebook",
)
BRANDS = MICROSOFT_BRANDS + OTHER_BRANDS
#: Microsoft's tenants that own first-party applications (``appOwnerOrganizationId``).
MICROSOFT_TENANTS = frozenset({
    "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
    "72f988bf-86f1-41af-91ab-2d7cd011db47",
    "33e01921-4d64-4f8c-a055-5bdaffd5e33d",
})


@dataclass(frozen=True, slots=True)
class Impersonation:
    brand: str
    #: True when the brand is spelled with look-alike (non-ASCII) characters.
    homoglyph: bool
    #: The look-alike characters as ``U+XXXX NAME`` (empty for a plain mention).
    characters: tuple[str, ...] = ()


@lru_cache(maxsize=4096)
def _latin(ch: str) -> str:
    """The ASCII letters/digits ``ch`` looks like ('' when it looks like none)."""
    if ch.isascii():
        return ch.lower() if ch.isalnum() else ""
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if base.isascii() and base.isalnum():
        return base.lower()
    found = confusables.is_confusable(ch, preferred_aliases=["latin"]) or []
    for item in found:
        for glyph in item["homoglyphs"]:
            c = glyph["c"]
            if c.isascii() and c.isalnum():
                return c.lower()
    return ""


def skeleton(name: str) -> tuple[str, list[int]]:
    """The skeleton of ``name`` and, per skeleton character, the index of its source character."""
    chars: list[str] = []
    source: list[int] = []
    for i, ch in enumerate(name):
        for c in _latin(ch):
            chars.append(c)
            source.append(i)
    return "".join(chars), source


def impersonation(name: str) -> Impersonation | None:
    """The strongest brand impersonation in ``name`` (homoglyph first), or None."""
    skel, source = skeleton(name)
    mention: Impersonation | None = None
    for brand in BRANDS:
        start = skel.find(brand)
        while start != -1:
            span = {source[k] for k in range(start, start + len(brand))}
            odd = sorted(name[i] for i in span if not name[i].isascii())
            if odd:
                described = tuple(f"U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in odd)
                return Impersonation(brand, True, described)
            mention = mention or Impersonation(brand, False)
            start = skel.find(brand, start + 1)
    return mention


def is_microsoft_owned(owner_tenant_id: str | None) -> bool:
    return (owner_tenant_id or "").lower() in MICROSOFT_TENANTS
