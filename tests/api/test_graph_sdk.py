"""The official msgraph-sdk client against a real ``vigil serve`` (uvicorn on loopback).

Data is seeded through the services; every answer is compared with what the store holds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any, TypeVar

import pytest
from azure.core.credentials import AccessToken
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.identity_protection.risky_service_principals.confirm_compromised.confirm_compromised_post_request_body import (  # noqa: E501
    ConfirmCompromisedPostRequestBody,
)
from msgraph.generated.identity_protection.risky_service_principals.dismiss.dismiss_post_request_body import (
    DismissPostRequestBody,
)
from msgraph.generated.identity_protection.risky_service_principals.risky_service_principals_request_builder import (  # noqa: E501
    RiskyServicePrincipalsRequestBuilder,
)
from msgraph.generated.identity_protection.service_principal_risk_detections.service_principal_risk_detections_request_builder import (  # noqa: E501
    ServicePrincipalRiskDetectionsRequestBuilder,
)
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.risk_detail import RiskDetail as SdkRiskDetail
from msgraph.generated.models.service_principal import ServicePrincipal as SdkServicePrincipal
from msgraph_core.tasks.page_iterator import PageIterator
from tests_api_support import Served, detection, seed, sp_id  # type: ignore[import-not-found]

from vigil.auth import Role
from vigil.model import RiskDetail, RiskLevel, RiskState

T = TypeVar("T")
COUNT = 1_050
SMALL = 60


class StaticToken:
    """A TokenCredential that always returns the same bearer token."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(
        self, *scopes: str, claims: str | None = None, enable_cae: bool = False, **kwargs: Any
    ) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)


def graph_client(
    served: Served, role: Role = Role.security_administrator, version: str = "v1.0"
) -> GraphServiceClient:
    auth = AzureIdentityAuthenticationProvider(StaticToken(served.tokens[role]))
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = f"{served.base}/{version}"
    return GraphServiceClient(request_adapter=adapter)


def run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(make())


def risky_config(**params: Any) -> RequestConfiguration[Any]:
    query = (
        RiskyServicePrincipalsRequestBuilder.RiskyServicePrincipalsRequestBuilderGetQueryParameters(
            **params
        )
    )
    return RequestConfiguration(query_parameters=query)


@pytest.fixture
def seeded(served: Served) -> Served:
    seed(served.app, SMALL)
    return served


def _sdk_tuple(p: Any) -> tuple[Any, ...]:
    return (p.id, p.display_name, p.app_id, p.risk_level.value, p.risk_state.value, p.is_enabled)


def _store_tuple(p: Any) -> tuple[Any, ...]:
    return (p.id, p.display_name, p.app_id, p.risk_level.value, p.risk_state.value, p.is_enabled)


def test_pages_through_every_risky_principal_with_top_50(served: Served) -> None:
    seed(served.app, COUNT)
    seeded = served
    client = graph_client(seeded)

    async def page_all() -> tuple[list[Any], int, int | None]:
        first = await client.identity_protection.risky_service_principals.get(
            request_configuration=risky_config(top=50, count=True)
        )
        assert first is not None
        pages, items = 0, []
        iterator = PageIterator(first, client.request_adapter)

        def collect(item: Any) -> bool:
            items.append(item)
            return True

        await iterator.iterate(collect)
        pages = (len(items) + 49) // 50
        return items, pages, first.odata_count

    items, pages, count = run(page_all)
    stored = seeded.app.store.risk.list_risky()
    assert len(stored) == COUNT and count == COUNT
    assert pages == 21
    assert [_sdk_tuple(p) for p in items] == [_store_tuple(p) for p in stored]


def test_filter_by_risk_level_and_count(seeded: Served) -> None:
    client = graph_client(seeded)

    async def high() -> tuple[list[Any], int | None]:
        builder = client.identity_protection.risky_service_principals
        out: list[Any] = []
        page = await builder.get(
            request_configuration=risky_config(filter="riskLevel eq 'high'", top=7)
        )
        while page is not None:
            out.extend(page.value or [])
            page = (
                await builder.with_url(page.odata_next_link).get() if page.odata_next_link else None
            )
        count = await builder.count.get(
            request_configuration=RequestConfiguration(
                query_parameters=builder.count.CountRequestBuilderGetQueryParameters(
                    filter="riskLevel eq 'high'"
                )
            )
        )
        return out, count

    items, count = run(high)
    stored = [p for p in seeded.app.store.risk.list_risky() if p.risk_level is RiskLevel.high]
    assert len(stored) == SMALL // 3 == count
    assert [_sdk_tuple(p) for p in items] == [_store_tuple(p) for p in stored]


def test_get_one_and_its_history(seeded: Served) -> None:
    client = graph_client(seeded)
    target = sp_id(7)
    seeded.app.risk.record_detection(detection(7, 1))

    async def fetch() -> tuple[Any, Any]:
        item = client.identity_protection.risky_service_principals.by_risky_service_principal_id(
            target
        )
        return await item.get(), await item.history.get()

    one, history = run(fetch)
    assert _sdk_tuple(one) == _store_tuple(seeded.app.store.risk.risky(target))
    stored = seeded.app.store.risk.history(target)
    assert [
        (h.id, h.initiated_by, h.risk_level.value, str(h.additional_data["servicePrincipalId"]))
        for h in history.value
    ] == [(h.id, h.initiated_by, h.principal.risk_level.value, target) for h in stored]
    assert [h.activity.risk_event_types for h in history.value] == [
        list(h.activity_risk_event_types) for h in stored
    ]


def test_confirm_compromised_and_dismiss_record_the_caller(seeded: Served) -> None:
    admin = graph_client(seeded)
    operator = graph_client(seeded, Role.security_operator)
    confirm_ids, dismiss_ids = [sp_id(1), sp_id(2)], [sp_id(3), sp_id(4)]

    async def act() -> None:
        builder = operator.identity_protection.risky_service_principals
        await builder.confirm_compromised.post(
            ConfirmCompromisedPostRequestBody(service_principal_ids=confirm_ids)
        )
        await builder.dismiss.post(DismissPostRequestBody(service_principal_ids=dismiss_ids))

    run(act)
    risk = seeded.app.store.risk
    assert {
        (i, risk.risky(i).risk_state, risk.risky(i).risk_level, risk.risky(i).risk_detail)
        for i in confirm_ids
    } == {
        (
            i,
            RiskState.confirmedCompromised,
            RiskLevel.high,
            RiskDetail.adminConfirmedServicePrincipalCompromised,
        )
        for i in confirm_ids
    }
    assert {(i, risk.risky(i).risk_state, risk.risky(i).risk_level) for i in dismiss_ids} == {
        (i, RiskState.dismissed, RiskLevel.none) for i in dismiss_ids
    }
    assert risk.history(sp_id(1))[-1].initiated_by == "Security Operator token"

    async def details() -> tuple[Any, Any]:
        item = admin.identity_protection.risky_service_principals.by_risky_service_principal_id(
            sp_id(1)
        )
        prefer = RequestConfiguration()
        prefer.headers.add("Prefer", "include-unknown-enum-members")
        return (await item.get()).risk_detail, (
            await item.get(request_configuration=prefer)
        ).risk_detail

    assert run(details) == (
        SdkRiskDetail.UnknownFutureValue,
        SdkRiskDetail.AdminConfirmedServicePrincipalCompromised,
    )


def test_unknown_ids_are_404_and_change_nothing(seeded: Served) -> None:
    client = graph_client(seeded, Role.security_operator)
    before = seeded.app.store.risk.risky(sp_id(5))

    async def act() -> None:
        body = ConfirmCompromisedPostRequestBody(service_principal_ids=[sp_id(5), "no-such-sp"])
        await client.identity_protection.risky_service_principals.confirm_compromised.post(body)

    with pytest.raises(ODataError) as raised:
        run(act)
    assert raised.value.response_status_code == 404
    assert raised.value.error.code == "itemNotFound"
    assert "no-such-sp" in raised.value.error.message
    assert seeded.app.store.risk.risky(sp_id(5)) == before


def test_detections_filtered_by_service_principal(seeded: Served) -> None:
    client = graph_client(seeded)
    target = sp_id(11)
    for k in (1, 2):
        seeded.app.risk.record_detection(detection(11, k))

    async def fetch() -> list[Any]:
        params = ServicePrincipalRiskDetectionsRequestBuilder
        query = params.ServicePrincipalRiskDetectionsRequestBuilderGetQueryParameters(
            filter=f"servicePrincipalId eq '{target}'"
        )
        page = await client.identity_protection.service_principal_risk_detections.get(
            request_configuration=RequestConfiguration(query_parameters=query)
        )
        detections = client.identity_protection.service_principal_risk_detections
        one = await detections.by_service_principal_risk_detection_id(page.value[0].id).get()
        return [*page.value, one]

    *listed, one = run(fetch)
    risk = seeded.app.store.risk
    stored = [d for d in risk.list_detections() if d.service_principal_id == target]
    stored.sort(key=lambda d: (-d.activity_date_time.timestamp(), d.id))
    assert [
        (d.id, d.risk_event_type, d.risk_level.value, d.activity_date_time) for d in listed
    ] == [(d.id, d.risk_event_type, d.risk_level.value, d.activity_date_time) for d in stored]
    assert len(listed) == 3 and one.id == stored[0].id and one.key_ids == list(stored[0].key_ids)


def test_filters_with_type_qualified_enum_literals_as_graph_docs_write_them(
    seeded: Served,
) -> None:
    client = graph_client(seeded)

    async def fetch() -> tuple[list[Any], list[Any]]:
        risky = await client.identity_protection.risky_service_principals.get(
            request_configuration=risky_config(
                filter="riskLevel eq microsoft.graph.riskLevel'high'", top=999
            )
        )
        params = ServicePrincipalRiskDetectionsRequestBuilder
        query = params.ServicePrincipalRiskDetectionsRequestBuilderGetQueryParameters(
            filter="riskLevel eq microsoft.graph.riskLevel'medium' and "
            "riskState eq microsoft.graph.riskState'atRisk'",
            top=999,
        )
        detections = await client.identity_protection.service_principal_risk_detections.get(
            request_configuration=RequestConfiguration(query_parameters=query)
        )
        return risky.value, detections.value

    risky, detections = run(fetch)
    risk = seeded.app.store.risk
    assert sorted(p.id for p in risky) == sorted(
        p.id for p in risk.list_risky() if p.risk_level is RiskLevel.high
    )
    assert sorted(d.id for d in detections) == sorted(
        d.id for d in risk.list_detections() if d.risk_level is RiskLevel.medium
    )
    assert risky and detections


async def _all_pages(client: GraphServiceClient, config: RequestConfiguration[Any]) -> list[Any]:
    builder = client.identity_protection.risky_service_principals
    page = await builder.get(request_configuration=config)
    items: list[Any] = []
    while page is not None:
        items.extend(page.value or [])
        link = page.odata_next_link
        page = await builder.with_url(link).get() if link else None
    return items


def test_orderby_puts_null_first_ascending_and_last_descending_on_every_database(
    seeded: Served,
) -> None:
    """OData §5.1.4; PostgreSQL on its own sorts nulls the other way round."""
    unnamed = [sp_id(n) for n in (SMALL + 1, SMALL + 3)]
    for n in (SMALL + 1, SMALL + 3):
        seeded.app.risk.record_detection(
            replace(detection(n), service_principal_display_name=None, app_id=None)
        )
    client = graph_client(seeded)

    async def both() -> list[list[tuple[str | None, str]]]:
        pages = [
            await _all_pages(client, risky_config(orderby=[order], top=7))
            for order in ("displayName", "displayName desc")
        ]
        return [[(p.display_name, p.id) for p in items] for items in pages]

    ascending, descending = run(both)
    named = sorted((f"App {n:05d}", sp_id(n)) for n in range(SMALL))
    assert ascending == [(None, i) for i in unnamed] + named
    assert descending == named[::-1] + [(None, i) for i in unnamed]


def test_orderby_an_enum_follows_its_member_order_not_the_alphabet(seeded: Served) -> None:
    """OData orders enum values by their underlying numbers: low < medium < high."""
    client = graph_client(seeded)

    async def both() -> list[list[tuple[str, str]]]:
        pages = [
            await _all_pages(client, risky_config(orderby=[order], top=9))
            for order in ("riskLevel desc", "riskLevel")
        ]
        return [[(p.risk_level.value, p.id) for p in items] for items in pages]

    descending, ascending = run(both)
    rank = {level.value: i for i, level in enumerate(RiskLevel)}
    stored = [(p.risk_level.value, p.id) for p in seeded.app.store.risk.list_risky()]
    assert descending == sorted(stored, key=lambda x: (-rank[x[0]], x[1]))
    assert ascending == sorted(stored, key=lambda x: (rank[x[0]], x[1]))
    assert [level for level, _ in descending[:: SMALL // 3]] == ["high", "medium", "low"]


@pytest.mark.parametrize(
    "order", [None, "displayName desc", "riskLevel desc", "riskLastUpdatedDateTime"]
)
def test_rows_inserted_between_pages_cause_no_duplicate_and_no_skip(
    seeded: Served, order: str | None
) -> None:
    """Rows that sort before the reader's position arrive between two pages (an ingest running
    while a SOAR playbook pages): every row present throughout is listed exactly once."""
    client = graph_client(seeded)
    before = {p.id for p in seeded.app.store.risk.list_risky()}
    inserted: list[str] = []

    def insert() -> None:
        n = len(inserted)  # sorts first by id, by name descending ("App 9..." > "App 0...")
        new = f"00000000-0000-0000-0000-{n:012d}"
        seeded.app.risk.record_detection(
            replace(detection(n), service_principal_id=new, service_principal_display_name="App 9")
        )
        inserted.append(new)

    async def page_all() -> list[str]:
        builder = client.identity_protection.risky_service_principals
        params = {"top": 7} | ({"orderby": [order]} if order else {})
        page = await builder.get(request_configuration=risky_config(**params))
        ids: list[str] = []
        while page is not None:
            ids.extend(p.id for p in page.value or [])
            insert()
            link = page.odata_next_link
            page = await builder.with_url(link).get() if link else None
        return ids

    ids = run(page_all)
    assert len(ids) == len(set(ids))
    assert before <= set(ids) <= before | set(inserted)


def test_detections_recorded_between_pages_are_not_listed_twice(seeded: Served) -> None:
    """Detections are listed newest first, so each new one lands before the reader's position."""
    client = graph_client(seeded)
    before = {d.id for d in seeded.app.store.risk.list_detections()}

    async def page_all() -> list[str]:
        builder = client.identity_protection.service_principal_risk_detections
        params = ServicePrincipalRiskDetectionsRequestBuilder
        query = params.ServicePrincipalRiskDetectionsRequestBuilderGetQueryParameters(top=9)
        page = await builder.get(request_configuration=RequestConfiguration(query_parameters=query))
        ids: list[str] = []
        k = 100
        while page is not None:
            ids.extend(d.id for d in page.value or [])
            k += 1
            seeded.app.risk.record_detection(detection(SMALL - 1, k))  # the newest activity
            link = page.odata_next_link
            page = await builder.with_url(link).get() if link else None
        return ids

    ids = run(page_all)
    assert len(ids) == len(set(ids)) and set(ids) == before


def test_paging_by_each_kind_of_property_lists_what_one_page_lists(seeded: Served) -> None:
    """Keyset tokens hold a value of each type: strings, enums, datetimes, booleans, nulls."""
    for n in (SMALL + 1, SMALL + 3):  # nulls: no name, appId, IP, request id...
        seeded.app.risk.record_detection(
            replace(
                detection(n),
                service_principal_display_name=None,
                app_id=None,
                ip_address=None,
                request_id=None,
                location=None,
            )
        )
    seeded.app.risk.dismiss([sp_id(3), sp_id(4)], "admin")
    client = graph_client(seeded, version="beta")
    risky = client.identity_protection.risky_service_principals
    detections = client.identity_protection.service_principal_risk_detections
    params = ServicePrincipalRiskDetectionsRequestBuilder

    def detection_config(**kw: Any) -> RequestConfiguration[Any]:
        query = params.ServicePrincipalRiskDetectionsRequestBuilderGetQueryParameters(**kw)
        return RequestConfiguration(query_parameters=query)

    async def ids(builder: Any, config: RequestConfiguration[Any]) -> list[str]:
        page = await builder.get(request_configuration=config)
        out: list[str] = []
        while page is not None:
            out.extend(x.id for x in page.value or [])
            link = page.odata_next_link
            page = await builder.with_url(link).get() if link else None
        return out

    async def check() -> int:
        checked = 0
        for builder, names, config in (
            (
                risky,
                ("displayName", "riskLevel", "isEnabled", "riskLastUpdatedDateTime"),
                risky_config,
            ),
            (detections, ("ipAddress", "riskState", "activityDateTime", "appId"), detection_config),
        ):
            for name in names:
                for order in (name, f"{name} desc"):
                    whole = await ids(builder, config(orderby=[order], top=999))
                    paged = await ids(builder, config(orderby=[order], top=17))
                    assert paged == whole, order
                    assert len(set(paged)) == len(paged)
                    checked += 1
        return checked

    assert run(check) == 16


def test_patch_service_principal_disables_it(seeded: Served) -> None:
    client = graph_client(seeded)
    target = sp_id(8)  # even: in the inventory

    async def patch() -> None:
        await client.service_principals.by_service_principal_id(target).patch(
            SdkServicePrincipal(account_enabled=False)
        )

    run(patch)
    assert seeded.app.store.risk.risky(target).is_enabled is False
    assert seeded.app.store.inventory.service_principal(target).account_enabled is False
    assert seeded.app.store.risk.history(target)[-1].initiated_by == "Security Administrator token"
