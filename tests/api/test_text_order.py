"""Text sorts and compares by code point on PostgreSQL too, whatever the database's collation.

The seeded tenant's names mix cases (``build-agent-identity``, ``Contoso Partner Connector``,
``Generic App 000``...): by code point, as SQLite and Python order them, upper case comes first; a
linguistic collation such as ICU ``en-US`` puts ``build-agent-identity`` first. Before
:mod:`vigil.store.bytewise`, a PostgreSQL server with such a default ordered lists and evaluated
``gt``/``lt`` filters its own way, unlike SQLite and unlike the in-memory filter.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.console.console_support import Console, _serve

from vigil.auth import Role
from vigil.store import Store

pytestmark = pytest.mark.postgres

RISKY = "/v1.0/identityProtection/riskyServicePrincipals"


@pytest.fixture
def linguistic_console(pg_linguistic_url: str, clock: Any) -> Iterator[Console]:
    store = Store.open(pg_linguistic_url, migrate=True)
    try:
        yield from _serve(store, clock)
    finally:
        store.close()


def _client(console: Console) -> httpx.Client:
    token = console.tokens[Role.security_reader]
    return httpx.Client(
        base_url=console.base, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def _pages(c: httpx.Client, params: dict[str, str]) -> list[str]:
    """Every ``displayName`` of the list, page by page through ``@odata.nextLink``."""
    names: list[str] = []
    body = c.get(RISKY, params=params).json()
    while True:
        names += [r["displayName"] for r in body["value"]]
        if "@odata.nextLink" not in body:
            return names
        body = c.get(body["@odata.nextLink"]).json()


def test_lists_sort_and_page_by_code_point(linguistic_console: Console) -> None:
    with _client(linguistic_console) as c:
        every = _pages(c, {})
        assert len(every) == 33 and "build-agent-identity" in every
        assert _pages(c, {"$orderby": "displayName", "$top": "4"}) == sorted(every)
        descending = _pages(c, {"$orderby": "displayName desc", "$top": "5"})
        assert descending == sorted(every, reverse=True)
        console = c.get(
            "/console/api/risky", params={"sort": "displayName", "dir": "asc", "size": "100"}
        ).json()
        assert [r["displayName"] for r in console["value"]] == sorted(every)


@pytest.mark.parametrize("op", ["gt", "ge", "lt", "le"])
def test_range_filters_compare_by_code_point(linguistic_console: Console, op: str) -> None:
    compare = {
        "gt": str.__gt__, "ge": str.__ge__, "lt": str.__lt__, "le": str.__le__
    }[op]  # fmt: skip
    with _client(linguistic_console) as c:
        every = _pages(c, {})
        found = _pages(c, {"$filter": f"displayName {op} 'a'", "$orderby": "displayName"})
    assert found == sorted(n for n in every if compare(n, "a"))
    assert found  # each side of 'a' holds a name: upper case below it, build-agent above
