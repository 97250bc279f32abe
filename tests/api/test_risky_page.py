"""The hot-path reader of risky principals equals the repository + shapes for every row."""

from __future__ import annotations

import itertools

import pytest
from tests_api_support import make_app, seed, sp_id  # type: ignore[import-not-found]

from vigil.api.properties import RISKY_SERVICE_PRINCIPALS as RISKY
from vigil.api.query import parse_list_query
from vigil.api.risky_page import fetch_rows, row_shaper
from vigil.api.shapes import risky_to_graph


@pytest.fixture
def app(store, clock):
    app = make_app(store, clock)
    seed(app, 12)
    app.risk.confirm_compromised([sp_id(1), sp_id(2)], "admin")
    app.risk.dismiss([sp_id(3)], "admin")
    app.risk.set_enabled([sp_id(4)], False, "admin")
    return app


@pytest.mark.parametrize(
    "params",
    [
        [],
        [("$filter", "riskLevel eq 'high'")],
        [
            ("$filter", "riskState in ('dismissed', 'confirmedCompromised')"),
            ("$orderby", "riskState desc"),
        ],
        [("$orderby", "displayName desc"), ("$top", "5"), ("$skiptoken", "djEuMw")],
    ],
)
def test_rows_and_shapes_equal_the_repository(app, params):
    query = parse_list_query(params, RISKY, beta=False, default_top=100)
    models = app.store.risk.list_risky(query.where, query.order_by, query.top, query.offset)
    rows = fetch_rows(app.store.engine, query.where, query.order_by, query.top, query.offset)
    assert len(rows) == len(models) > 0
    for version, unknown in itertools.product(("v1.0", "beta"), (False, True)):
        shape = row_shaper(version, unknown)
        assert [shape(r) for r in rows] == [
            risky_to_graph(m, version=version, include_unknown=unknown) for m in models
        ]
