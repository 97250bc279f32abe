"""Tests for vigil.api.odata: $filter parsing, SQL compilation vs. in-memory evaluation, and the
$orderby / $select / $top / option-name helpers."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    insert,
    select,
)
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from vigil.api.odata import (
    MAX_FILTER_DEPTH,
    MAX_FILTER_LENGTH,
    And,
    Compare,
    FilterExpr,
    In,
    Not,
    ODataQueryError,
    Or,
    Property,
    PropType,
    StartsWith,
    Value,
    compile_filter,
    evaluate_filter,
    normalize_query_options,
    parse_filter,
    parse_orderby,
    parse_select,
    parse_top,
)

RISK_LEVELS = ("low", "medium", "high", "hidden", "none", "unknownFutureValue")
PROPS: dict[str, Property] = {
    p.name: p
    for p in (
        Property("id", PropType.INT),
        Property("displayName", PropType.STRING),
        Property("riskLevel", PropType.ENUM, RISK_LEVELS),
        Property("riskEventType", PropType.STRING),
        Property("riskLastUpdatedDateTime", PropType.DATETIME),
        Property("isEnabled", PropType.BOOL),
        Property("signInCount", PropType.INT),
        Property("appId", PropType.STRING, sortable=False),
        Property("servicePrincipalType", PropType.STRING, filterable=False, sortable=False),
    )
}
FILTERABLE_LIST = (
    "appId, displayName, id, isEnabled, riskEventType, riskLastUpdatedDateTime, riskLevel, "
    "signInCount"
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def eq(prop: str, value: Value) -> Compare:
    return Compare("eq", prop, value)


# ----------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("riskLevel eq 'high'", eq("riskLevel", "high")),
        (  # the Graph documentation example
            "riskEventType eq 'investigationsThreatIntelligence' or riskLevel eq 'medium'",
            Or(eq("riskEventType", "investigationsThreatIntelligence"), eq("riskLevel", "medium")),
        ),
        ("displayName eq 'O''Brien'", eq("displayName", "O'Brien")),
        ("displayName eq ''''", eq("displayName", "'")),
        ("displayName eq ''", eq("displayName", "")),
        (
            "id eq 1 or id eq 2 and not id eq 3",
            Or(eq("id", 1), And(eq("id", 2), Not(eq("id", 3)))),
        ),
        ("not id eq 1 and id eq 2", And(Not(eq("id", 1)), eq("id", 2))),
        ("not (id eq 1 and id eq 2)", Not(And(eq("id", 1), eq("id", 2)))),
        ("(id eq 1 or id eq 2) and id eq 3", And(Or(eq("id", 1), eq("id", 2)), eq("id", 3))),
        ("id eq 1 and id eq 2 and id eq 3", And(And(eq("id", 1), eq("id", 2)), eq("id", 3))),
        ("id eq 1 or id eq 2 or id eq 3", Or(Or(eq("id", 1), eq("id", 2)), eq("id", 3))),
        ("not not id eq 1", Not(Not(eq("id", 1)))),
        ("((((id eq 1))))", eq("id", 1)),
        ("\t riskLevel\neq  'low'  ", eq("riskLevel", "low")),
        (
            "riskLevel EQ 'low' AND NOT isEnabled Eq TRUE",
            And(eq("riskLevel", "low"), Not(eq("isEnabled", True))),
        ),
        ("RISKLEVEL eq 'low'", eq("riskLevel", "low")),
        ("riskLevel in ('low', 'high')", In("riskLevel", ("low", "high"))),
        ("id IN (1,-2,3)", In("id", (1, -2, 3))),
        ("startswith(displayName,'Con')", StartsWith("displayName", "Con")),
        ("startsWith( displayName , '50%_' )", StartsWith("displayName", "50%_")),
        ("STARTSWITH(riskLevel,'')", StartsWith("riskLevel", "")),
        ("riskLevel eq null", eq("riskLevel", None)),
        ("displayName ne NULL", Compare("ne", "displayName", None)),
        ("isEnabled eq false", eq("isEnabled", False)),
        ("isEnabled ne true", Compare("ne", "isEnabled", True)),
        ("signInCount ge -5", Compare("ge", "signInCount", -5)),
        ("signInCount lt 9223372036854775807", Compare("lt", "signInCount", 2**63 - 1)),
        ("signInCount gt -9223372036854775808", Compare("gt", "signInCount", -(2**63))),
        (
            "riskLastUpdatedDateTime gt 2021-01-01T00:00:00Z",
            Compare("gt", "riskLastUpdatedDateTime", utc(2021, 1, 1)),
        ),
        (
            "riskLastUpdatedDateTime le 2021-01-01",
            Compare("le", "riskLastUpdatedDateTime", utc(2021, 1, 1)),
        ),
        (
            "riskLastUpdatedDateTime eq 2021-01-01T00:00:00.1234567Z",
            eq("riskLastUpdatedDateTime", utc(2021, 1, 1, 0, 0, 0, 123456)),
        ),
        (
            "riskLastUpdatedDateTime eq 2021-01-01T00:00:00.5Z",
            eq("riskLastUpdatedDateTime", utc(2021, 1, 1, 0, 0, 0, 500000)),
        ),
        (
            "riskLastUpdatedDateTime eq 2021-01-01T00:00:00+02:00",
            eq("riskLastUpdatedDateTime", utc(2020, 12, 31, 22)),
        ),
        (
            "riskLastUpdatedDateTime eq 2021-01-01T10:15:00-05:30",
            eq("riskLastUpdatedDateTime", utc(2021, 1, 1, 15, 45)),
        ),
        (
            "riskLastUpdatedDateTime eq 2021-01-01T10:15Z",
            eq("riskLastUpdatedDateTime", utc(2021, 1, 1, 10, 15)),
        ),
    ],
)
def test_parse_filter_builds_expected_ast(text: str, expected: FilterExpr) -> None:
    assert parse_filter(text, PROPS) == expected


def test_datetime_literals_are_aware_utc() -> None:
    expr = parse_filter("riskLastUpdatedDateTime eq 2021-06-01T12:00:00+02:00", PROPS)
    assert isinstance(expr, Compare)
    assert isinstance(expr.value, datetime)
    assert expr.value.utcoffset() == timedelta(0)
    assert (expr.value.year, expr.value.hour, expr.value.tzinfo) == (2021, 10, UTC)


@pytest.mark.parametrize(
    ("text", "fragment", "position"),
    [
        ("", "the filter expression is empty", 0),
        ("   \t", "the filter expression is empty", 0),
        ("riskLevel eq 'high' extra", "unexpected 'extra'; expected 'and', 'or'", 20),
        ("riskLevel eq 'high' 'x'", "unexpected string literal 'x'", 20),
        ("(riskLevel eq 'high'", "expected ')' to close the '(' at position 0", 20),
        ("((id eq 1)", "expected ')' to close the '(' at position 0", 10),
        ("riskLevel eq 'high')", "')' has no matching '('", 19),
        ("()", "expected a property name", 1),
        ("displayName eq 'abc", "unterminated string literal", 15),
        ("displayName eq 'it''s", "unterminated string literal", 15),
        ("riskLevel eq", "expected a literal value, found the end of the expression", 12),
        ("riskLevel", "expected a comparison operator", 9),
        ("riskLevel 'high'", "expected a comparison operator", 10),
        ("riskLevel has 'high'", "expected a comparison operator", 10),
        ("foo eq 1", f"unknown property 'foo'; filterable properties: {FILTERABLE_LIST}", 0),
        (
            "servicePrincipalType eq 'x'",
            f"property 'servicePrincipalType' cannot be used in $filter; filterable properties: "
            f"{FILTERABLE_LIST}",
            0,
        ),
        (
            "riskLevel eq 'extreme'",
            "'extreme' is not a valid value for riskLevel; expected one of: low, medium, high, "
            "hidden, none, unknownFutureValue",
            13,
        ),
        ("riskLevel eq 'LOW'", "'LOW' is not a valid value for riskLevel", 13),
        ("riskLevel in ('low', 'bad')", "'bad' is not a valid value for riskLevel", 21),
        ("displayName eq 1", "'displayName' is a string property and needs a quoted string", 15),
        ("displayName eq true", "found 'true'", 15),
        ("riskLastUpdatedDateTime eq '2021-01-01'", "needs an unquoted datetime literal", 27),
        ("riskLastUpdatedDateTime gt 5", "needs an unquoted datetime literal", 27),
        ("isEnabled eq 'true'", "needs true or false", 13),
        ("signInCount eq '5'", "needs an integer literal", 15),
        ("signInCount eq 2021-01-01", "needs an integer literal", 15),
        ("isEnabled gt true", "operator 'gt' is not supported on bool property 'isEnabled'", 10),
        ("riskLevel le 'low'", "operator 'le' is not supported on enum property", 10),
        ("signInCount eq 1.5", "invalid literal '1.5'", 15),
        ("signInCount eq 1e3", "invalid literal '1e3'", 15),
        ("signInCount eq 9223372036854775808", "outside the 64-bit range", 15),
        ("signInCount eq -9223372036854775809", "outside the 64-bit range", 15),
        ("signInCount eq 5-3", "invalid literal '5-3'", 15),
        ("signInCount add 1 eq 2", "arithmetic operator 'add' is not supported", 12),
        ("signInCount eq +5", "unexpected character '+'; arithmetic is not supported", 15),
        ("signInCount eq - 5", "unexpected character '-'", 15),
        ("riskLevel gt null", "operator 'gt' is not supported", 10),
        ("signInCount gt null", "null can only be used with eq or ne", 15),
        ("riskLevel in ()", "the 'in' list is empty", 14),
        ("riskLevel in ('low', null)", "null can only be used with eq or ne", 21),
        ("riskLevel in 'low'", "expected '(' after 'in'", 13),
        ("riskLevel in ('low' 'high')", "expected ',' or ')' in the 'in' list", 20),
        ("riskLevel in ('low',)", "expected a literal value, found ')'", 20),
        ("startswith(isEnabled, 'x')", "startswith needs a string property, but 'isEnabled'", 11),
        ("startswith(displayName, 1)", "a quoted string prefix", 24),
        ("startswith(displayName, null)", "a quoted string prefix", 24),
        ("startswith(displayName 'x')", "expected ',' after the property", 23),
        ("startswith('x', displayName)", "expected a property name as the first argument", 11),
        ("startswith(displayName, 'x'", "expected ')' to close startswith", 27),
        ("startswith", "expected '(' after startswith, found the end", 10),
        ("startswith eq 'x'", "expected '(' after startswith, found 'eq'", 11),
        ("endswith(displayName, 'x')", "function 'endswith' is not supported", 0),
        ("contains(displayName, 'x')", "function 'contains' is not supported", 0),
        ("any(x: x eq 'low')", "function 'any' is not supported", 0),
        ("riskLevel/any(x: x eq 'low')", "lambda operators (any/all) are not supported", 9),
        (
            "'high' eq riskLevel",
            "expected a property name, 'not', 'startswith' or '(', found string",
            0,
        ),
        ("5 eq signInCount", "found int literal 5", 0),
        ("riskLevel eq riskLevel", "comparing two properties is not supported", 13),
        ("riskLevel eq and", "expected a literal value, found 'and'", 13),
        ("riskLastUpdatedDateTime eq 2021-13-01T00:00:00Z", "invalid datetime literal", 27),
        ("riskLastUpdatedDateTime eq 2021-02-29", "day is out of range", 27),
        ("riskLastUpdatedDateTime eq 2021-01-01T25:00:00Z", "invalid datetime literal", 27),
        ("riskLastUpdatedDateTime eq 2021-01-01T00:00:00+24:00", "invalid datetime literal", 27),
        ("riskLastUpdatedDateTime eq 2021-01-01T00:00:00+01:60", "invalid datetime literal", 27),
        ("riskLastUpdatedDateTime eq 0001-01-01T00:00:00+01:00", "invalid datetime literal", 27),
        ("riskLastUpdatedDateTime eq 2021-01-01T00:00:00", "invalid literal", 27),
        ("riskLastUpdatedDateTime eq 21-01-01", "invalid literal", 27),
        ("not", "expected a property name, 'not', 'startswith' or '(', found the end", 3),
        ("riskLevel eq 'low' and", "found the end of the expression", 22),
        ("and riskLevel eq 'low'", "found keyword 'and'", 0),
        ("riskLevel eq 'low' or or id eq 1", "found keyword 'or'", 22),
        ("riskLevel eq 'low' ; id eq 1", "unexpected character ';'", 19),
        ("riskLevel eq $it", "unexpected character '$'", 13),
        ("riskLevel eq @p1", "unexpected character '@'", 13),
        ("displayName eq 'a\x00b'", "NUL characters are not allowed", 17),
        ("displayName eq 'é' and Ωmega eq 1", "unexpected character 'Ω'", 23),
        ("(" * 60 + "id eq 1" + ")" * 60, f"nested more than {MAX_FILTER_DEPTH} levels deep", 50),
        ("not " * 60 + "id eq 1", f"nested more than {MAX_FILTER_DEPTH} levels deep", 200),
        ("x" * (MAX_FILTER_LENGTH + 1), "the maximum is 4096", MAX_FILTER_LENGTH),
    ],
)
def test_malformed_filters_raise_odata_query_error(text: str, fragment: str, position: int) -> None:
    with pytest.raises(ODataQueryError) as info:
        parse_filter(text, PROPS)
    assert info.value.option == "$filter"
    assert info.value.position == position
    assert fragment in str(info.value)
    assert str(info.value).startswith(f"invalid $filter at position {position}: ")


def test_enum_literals_may_be_qualified_by_their_graph_type() -> None:
    """Graph's docs write ``riskLevel eq microsoft.graph.riskLevel'medium'`` (OData enum literal)."""
    from vigil.api.properties import SERVICE_PRINCIPAL_RISK_DETECTIONS as DETECTIONS

    props = DETECTIONS.properties
    text = (
        "riskLevel eq microsoft.graph.riskLevel'medium' and "
        "activity in (Microsoft.Graph.ActivityType'servicePrincipal', 'signin')"
    )
    assert parse_filter(text, props) == And(
        eq("riskLevel", "medium"), In("activity", ("servicePrincipal", "signin"))
    )
    for bad, fragment in [
        ("riskLevel eq microsoft.graph.riskState'atRisk'", "needs microsoft.graph.riskLevel'...'"),
        ("riskLevel eq other.ns.riskLevel'high'", "needs microsoft.graph.riskLevel'...'"),
        ("riskEventType eq microsoft.graph.riskLevel'high'", "needs a quoted string literal"),
        ("riskLevel eq microsoft.graph.riskLevel'huge'", "'huge' is not a valid value"),
        ("riskLevel eq microsoft.graph.riskLevel'high", "unterminated string literal"),
    ]:
        with pytest.raises(ODataQueryError) as info:
            parse_filter(bad, props)
        assert fragment in str(info.value), bad


def test_filter_at_length_limit_is_accepted() -> None:
    text = "id eq 1" + " " * (MAX_FILTER_LENGTH - len("id eq 1"))
    assert len(text) == MAX_FILTER_LENGTH
    assert parse_filter(text, PROPS) == eq("id", 1)


def test_nesting_at_depth_limit_is_accepted() -> None:
    text = "(" * MAX_FILTER_DEPTH + "id eq 1" + ")" * MAX_FILTER_DEPTH
    assert parse_filter(text, PROPS) == eq("id", 1)


FRAGMENTS = [
    "(",
    ")",
    " ",
    ",",
    "'",
    "''",
    "and",
    "or",
    "not",
    "eq",
    "ne",
    "gt",
    "le",
    "in",
    "null",
    "true",
    "false",
    "riskLevel",
    "displayName",
    "isEnabled",
    "signInCount",
    "id",
    "riskLastUpdatedDateTime",
    "startswith",
    "startsWith(",
    "'low'",
    "'x%_'",
    "1",
    "-",
    "-7",
    "2021-01-01",
    "T00:00:00Z",
    "2021-01-01T00:00:00.1234567+02:00",
    "/",
    "any",
    ":",
    "+",
    ".5",
    "99999999999999999999",
    "\t",
    "é",
    "\x00",
    "$",
    "add",
]


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(st.text(max_size=120), st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join))
)
def test_parse_filter_never_raises_anything_but_odata_query_error(text: str) -> None:
    try:
        expr = parse_filter(text, PROPS)
    except ODataQueryError as exc:
        assert exc.option == "$filter"
        assert str(exc).startswith("invalid $filter")
    else:  # anything that parses is usable by both back ends
        assert evaluate_filter(expr, ROWS[0]) in (True, False)
        assert compile_filter(expr, COLUMNS) is not None


# ----------------------------------------------------------------------------- SQL vs Python


class IsoUtc(TypeDecorator[datetime]):
    """Aware UTC datetimes stored as fixed-width ISO text (sorts chronologically)."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")

    def process_result_value(self, value: str | None, dialect: Any) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


METADATA = MetaData()
RISKY = Table(
    "risky",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("display_name", String),
    Column("risk_level", String),
    Column("risk_event_type", String),
    Column("risk_last_updated", IsoUtc),
    Column("is_enabled", Boolean),
    Column("sign_in_count", Integer),
    Column("app_id", String),
)
COLUMNS = {
    "id": RISKY.c.id,
    "displayName": RISKY.c.display_name,
    "riskLevel": RISKY.c.risk_level,
    "riskEventType": RISKY.c.risk_event_type,
    "riskLastUpdatedDateTime": RISKY.c.risk_last_updated,
    "isEnabled": RISKY.c.is_enabled,
    "signInCount": RISKY.c.sign_in_count,
    "appId": RISKY.c.app_id,
}
NAMES = [
    None,
    "",
    "Contoso",
    "contoso",
    "CONTOSO app",
    "Con",
    "O'Brien",
    "O''Brien",
    "it's",
    "'",
    "50% off",
    "50_50",
    "500",
    "a_b",
    "axb",
    "a%b",
    "abc",
    "100%",
    "M",
    "Mallory",
    "m",
    "zeta",
    "Ünïcode",
    "back\\slash",
    "slash/path",
    "//x",
]
EVENTS = [None, "investigationsThreatIntelligence", "suspiciousSignins", "leakedCredentials"]
TIMES = [
    None,
    utc(2021, 6, 1),
    utc(2021, 6, 1, 0, 0, 0, 1),
    utc(2021, 5, 31, 23, 59, 59, 999999),
    utc(2021, 6, 1, 12, 30, 0, 123456),
    utc(2020, 1, 1),
    utc(2023, 12, 31, 23, 59, 59),
]
COUNTS = [None, 0, 1, -1, 5, 10, 11, 1000, 1001, -(2**63), 2**63 - 1]


def _make_rows() -> list[dict[str, Any]]:
    rng = random.Random(20210601)
    rows = []
    for i in range(50):
        rows.append(
            {
                "id": i + 1,
                "displayName": NAMES[i % len(NAMES)],
                "riskLevel": rng.choice((*RISK_LEVELS, None)),
                "riskEventType": rng.choice(EVENTS),
                "riskLastUpdatedDateTime": TIMES[i % len(TIMES)],
                "isEnabled": rng.choice((True, False, None)),
                "signInCount": rng.choice(COUNTS),
                "appId": rng.choice((None, "app-1", "App-1", "app_1", "app%1")),
            }
        )
    return rows


ROWS = _make_rows()


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    eng = create_engine("sqlite://", poolclass=StaticPool)

    @event.listens_for(eng, "connect")
    def _case_sensitive_like(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA case_sensitive_like = ON")

    METADATA.create_all(eng)
    with eng.begin() as conn:
        conn.execute(
            insert(RISKY), [{col.key: row[name] for name, col in COLUMNS.items()} for row in ROWS]
        )
    yield eng
    eng.dispose()


def sql_ids(engine: Engine, expr: FilterExpr) -> set[int]:
    with engine.connect() as conn:
        return set(conn.scalars(select(RISKY.c.id).where(compile_filter(expr, COLUMNS))))


def python_ids(expr: FilterExpr) -> set[int]:
    return {row["id"] for row in ROWS if evaluate_filter(expr, row)}


def test_rows_round_trip_through_the_database(engine: Engine) -> None:
    with engine.connect() as conn:
        stored = [
            dict(zip(COLUMNS, r, strict=True))
            for r in conn.execute(select(*COLUMNS.values()).order_by(RISKY.c.id))
        ]
    assert stored == ROWS


CROSS_CHECK_FILTERS = [
    "riskLevel eq 'high'",
    "riskLevel ne 'high'",
    "riskLevel eq null",
    "riskLevel ne null",
    "not (riskLevel eq 'high')",
    "riskLevel in ('low', 'medium')",
    "not riskLevel in ('low','medium')",
    "riskEventType eq 'investigationsThreatIntelligence' or riskLevel eq 'medium'",
    "startswith(displayName, 'Con')",
    "startswith(displayName, 'con')",
    "not startswith(displayName, 'C')",
    "startswith(displayName, '50%')",
    "startswith(displayName, 'a_')",
    "startswith(displayName, 'O''B')",
    "startswith(displayName, '/')",
    "startswith(appId, 'app%')",
    "displayName eq 'O''Brien'",
    "displayName ne 'O''Brien'",
    "displayName gt 'M' and displayName lt 'm'",
    "displayName eq ''",
    "displayName in ('Contoso', 'contoso', 'a%b')",
    "riskLastUpdatedDateTime ge 2021-06-01T00:00:00Z",
    "riskLastUpdatedDateTime lt 2021-06-01T02:00:00+02:00",
    "riskLastUpdatedDateTime eq 2021-06-01T12:30:00.1234567Z",
    "riskLastUpdatedDateTime le 2021-06-01",
    "not (riskLastUpdatedDateTime gt 2021-01-01)",
    "isEnabled eq true",
    "isEnabled ne true",
    "isEnabled eq false or isEnabled eq null",
    "not isEnabled eq false",
    "signInCount gt 10 and signInCount le 1000",
    "signInCount lt 0",
    "signInCount eq 9223372036854775807 or signInCount eq -9223372036854775808",
    "not (signInCount ge 5) and not isEnabled eq false",
    "id in (1, 2, 3, 49)",
    "id ne 7",
    "(riskLevel eq 'low' or riskLevel eq 'high') and not startswith(displayName, 'C')",
    "NOT (displayName EQ null) AND riskLevel Ne 'low'",
]


@pytest.mark.parametrize("text", CROSS_CHECK_FILTERS)
def test_sql_matches_python_evaluation(engine: Engine, text: str) -> None:
    expr = parse_filter(text, PROPS)
    expected = python_ids(expr)
    assert 0 < len(expected) < len(ROWS)  # the data exercises this filter
    assert sql_ids(engine, expr) == expected


@pytest.mark.parametrize(
    ("text", "expected_ids"),
    [
        ("displayName eq 'O''Brien'", {7, 33}),
        ("startswith(displayName, '50%')", {11, 37}),
        ("startswith(displayName, 'a_')", {14, 40}),
        ("startswith(displayName, 'Con')", {3, 6, 29, 32}),
        ("riskLastUpdatedDateTime eq 2021-06-01T12:30:00.1234567Z", {5, 12, 19, 26, 33, 40, 47}),
    ],
)
def test_selected_rows_are_the_expected_ones(
    engine: Engine, text: str, expected_ids: set[int]
) -> None:
    expr = parse_filter(text, PROPS)
    assert python_ids(expr) == expected_ids
    assert sql_ids(engine, expr) == expected_ids


def test_ne_includes_nulls_and_not_negates_exactly(engine: Engine) -> None:
    null_names = {row["id"] for row in ROWS if row["displayName"] is None}
    obrien = {row["id"] for row in ROWS if row["displayName"] == "O'Brien"}
    everyone = {row["id"] for row in ROWS}
    ne = parse_filter("displayName ne 'O''Brien'", PROPS)
    not_eq = parse_filter("not displayName eq 'O''Brien'", PROPS)
    assert null_names
    assert sql_ids(engine, ne) == everyone - obrien
    assert sql_ids(engine, not_eq) == everyone - obrien


def test_long_or_chain_compiles_and_evaluates_without_recursion(engine: Engine) -> None:
    text = " or ".join(f"signInCount eq {n}" for n in range(1, 150))
    text += " or id eq 1" + " and id eq 1" * 20
    assert len(text) <= MAX_FILTER_LENGTH
    expr = parse_filter(text, PROPS)
    assert sql_ids(engine, expr) == python_ids(expr)
    assert 1 in python_ids(expr)


# Random ASTs, rendered to text, must round-trip through the parser; SQL must agree with Python.
ALPHABET = "aAbBcC%_'/\\ é😀O"
FILTERABLE = [p for p in PROPS.values() if p.filterable]
OFFSETS = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]


def literal_strategy(prop: Property) -> st.SearchStrategy[Any]:
    match prop.type:
        case PropType.STRING:
            known = [n for n in (*NAMES, *EVENTS, "app-1", "app%1") if n is not None]
            return st.one_of(st.sampled_from(known), st.text(alphabet=ALPHABET, max_size=6))
        case PropType.ENUM:
            return st.sampled_from(RISK_LEVELS)
        case PropType.DATETIME:
            known_times = [t for t in TIMES if t is not None]
            return st.one_of(
                st.sampled_from(known_times),
                st.datetimes(datetime(2019, 1, 1), datetime(2025, 1, 1), timezones=st.just(UTC)),
            )
        case PropType.BOOL:
            return st.booleans()
        case _:
            known_counts = [c for c in COUNTS if c is not None]
            return st.one_of(st.sampled_from(known_counts), st.integers(-(2**63), 2**63 - 1))


@st.composite
def leaf_strategy(draw: st.DrawFn) -> FilterExpr:
    prop = draw(st.sampled_from(FILTERABLE))
    literal = literal_strategy(prop)
    kinds = ["eq", "ne", "null", "in"]
    if prop.type in (PropType.STRING, PropType.DATETIME, PropType.INT):
        kinds += ["gt", "ge", "lt", "le"]
    if prop.type in (PropType.STRING, PropType.ENUM):
        kinds.append("startswith")
    kind = draw(st.sampled_from(kinds))
    if kind == "null":
        return Compare(draw(st.sampled_from(["eq", "ne"])), prop.name, None)
    if kind == "in":
        return In(prop.name, tuple(draw(st.lists(literal, min_size=1, max_size=4))))
    if kind == "startswith":
        prefix = draw(literal)
        return StartsWith(prop.name, prefix[: draw(st.integers(0, len(prefix)))])
    return Compare(kind, prop.name, draw(literal))


filter_strategy = st.recursive(
    leaf_strategy(),
    lambda kids: st.one_of(
        st.builds(And, kids, kids), st.builds(Or, kids, kids), st.builds(Not, kids)
    ),
    max_leaves=8,
)


def render_literal(value: Value, tz: timezone = UTC) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat().replace("+00:00", "Z")
    return str(value)


def render(expr: FilterExpr, tz: timezone = UTC) -> str:
    match expr:
        case And(left, right):
            return f"({render(left, tz)}) and ({render(right, tz)})"
        case Or(left, right):
            return f"({render(left, tz)}) or ({render(right, tz)})"
        case Not(inner):
            return f"not ({render(inner, tz)})"
        case Compare(op, prop, value):
            return f"{prop} {op} {render_literal(value, tz)}"
        case In(prop, values):
            return f"{prop} in ({', '.join(render_literal(v, tz) for v in values)})"
        case StartsWith(prop, prefix):
            return f"startswith({prop}, {render_literal(prefix)})"
    raise AssertionError(expr)


def nesting(expr: FilterExpr) -> int:
    match expr:
        case And(left, right) | Or(left, right):
            return 1 + max(nesting(left), nesting(right))
        case Not(inner):
            return 2 + nesting(inner)
    return 0


@settings(max_examples=300, deadline=None)
@given(filter_strategy, st.sampled_from(OFFSETS))
def test_random_filters_round_trip_and_sql_matches_python(
    engine: Engine, expr: FilterExpr, tz: timezone
) -> None:
    if nesting(expr) > MAX_FILTER_DEPTH:
        return
    assert parse_filter(render(expr, tz), PROPS) == expr
    assert sql_ids(engine, expr) == python_ids(expr)


def test_compiled_ne_on_nullable_column_includes_null_but_not_on_primary_key() -> None:
    nullable_sql = str(compile_filter(parse_filter("displayName ne 'x'", PROPS), COLUMNS))
    key_sql = str(compile_filter(parse_filter("id ne 7", PROPS), COLUMNS))
    assert nullable_sql == "risky.display_name != :display_name_1 OR risky.display_name IS NULL"
    assert key_sql == "risky.id != :id_1"


def test_startswith_compiles_with_autoescape() -> None:
    sql = str(compile_filter(StartsWith("displayName", "50%_"), COLUMNS))
    assert sql == (
        "risky.display_name IS NOT NULL AND (risky.display_name LIKE :display_name_1 || '%' "
        "ESCAPE '/')"
    )


# ----------------------------------------------------------------------------- other options


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("riskLevel", (("riskLevel", False),)),
        ("riskLevel desc", (("riskLevel", True),)),
        ("riskLevel DESC, displayName", (("riskLevel", True), ("displayName", False))),
        (
            " riskLastUpdatedDateTime  asc ,id desc ",
            (("riskLastUpdatedDateTime", False), ("id", True)),
        ),
        ("RISKLEVEL Asc", (("riskLevel", False),)),
    ],
)
def test_parse_orderby(text: str, expected: tuple[tuple[str, bool], ...]) -> None:
    assert parse_orderby(text, PROPS) == expected


@pytest.mark.parametrize(
    ("text", "fragment", "position"),
    [
        ("", "the value is empty", 0),
        ("riskLevel,", "empty item in the list", 10),
        ("riskLevel,,id", "empty item in the list", 10),
        (
            "foo",
            "unknown property 'foo'; sortable properties: displayName, id, isEnabled, "
            "riskEventType, riskLastUpdatedDateTime, riskLevel, signInCount",
            0,
        ),
        ("id, appId desc", "property 'appId' cannot be used in $orderby", 4),
        ("riskLevel, id, riskLevel desc", "property 'riskLevel' is listed more than once", 15),
        (
            "riskLevel up",
            "expected 'asc', 'desc', ',' or the end after 'riskLevel', found 'up'",
            10,
        ),
        ("riskLevel desc desc", "found 'desc desc'", 10),
    ],
)
def test_parse_orderby_errors(text: str, fragment: str, position: int) -> None:
    with pytest.raises(ODataQueryError) as info:
        parse_orderby(text, PROPS)
    assert (info.value.option, info.value.position) == ("$orderby", position)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id", ("id",)),
        ("id,displayName", ("id", "displayName")),
        (" id , riskLevel ,servicePrincipalType", ("id", "riskLevel", "servicePrincipalType")),
        ("id,ID,displayName,id", ("id", "displayName")),
    ],
)
def test_parse_select(text: str, expected: tuple[str, ...]) -> None:
    assert parse_select(text, PROPS) == expected


@pytest.mark.parametrize(
    ("text", "fragment", "position"),
    [
        ("", "the value is empty", 0),
        ("id,", "empty item in the list", 3),
        ("id, nope", "unknown property 'nope'; properties: appId, displayName", 4),
        ("id displayName", "unknown property 'id displayName'", 0),
        ("*", "unknown property '*'", 0),
    ],
)
def test_parse_select_errors(text: str, fragment: str, position: int) -> None:
    with pytest.raises(ODataQueryError) as info:
        parse_select(text, PROPS)
    assert (info.value.option, info.value.position) == ("$select", position)
    assert fragment in str(info.value)


@pytest.mark.parametrize(("text", "expected"), [("1", 1), ("999", 999), (" 25 ", 25), ("007", 7)])
def test_parse_top(text: str, expected: int) -> None:
    assert parse_top(text, 999) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("0", "must be between 1 and 999, found 0"),
        ("1000", "must be between 1 and 999, found 1000"),
        ("99999999999999999999999", "must be between 1 and 999"),
        ("-1", "expected a positive integer, found '-1'"),
        ("+5", "expected a positive integer"),
        ("1.5", "expected a positive integer"),
        ("1e3", "expected a positive integer"),
        ("abc", "expected a positive integer, found 'abc'"),
        ("", "expected a positive integer, found ''"),
        ("٣", "expected a positive integer"),
    ],
)
def test_parse_top_errors(text: str, fragment: str) -> None:
    with pytest.raises(ODataQueryError) as info:
        parse_top(text, 999)
    assert info.value.option == "$top"
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("params", "allow_bare", "expected"),
    [
        ({"$filter": "x", "$top": "5", "api-version": "1"}, False, {"$filter": "x", "$top": "5"}),
        ({"filter": "x", "top": "5"}, False, {}),
        ({"filter": "x", "Top": "5", "other": "y"}, True, {"$filter": "x", "$top": "5"}),
        ({"$FILTER": "x", "$OrderBy": "id"}, False, {"$filter": "x", "$orderby": "id"}),
        ({"$top": "1", "top": "2"}, False, {"$top": "1"}),
        (
            {
                "$select": "",
                "$count": "true",
                "$skiptoken": "t",
                "$skip": "1",
                "$expand": "e",
                "search": "s",
            },
            True,
            {
                "$select": "",
                "$count": "true",
                "$skiptoken": "t",
                "$skip": "1",
                "$expand": "e",
                "$search": "s",
            },
        ),
    ],
)
def test_normalize_query_options(
    params: dict[str, str], allow_bare: bool, expected: dict[str, str]
) -> None:
    assert normalize_query_options(params, allow_bare=allow_bare) == expected


@pytest.mark.parametrize(
    ("params", "allow_bare", "option", "fragment"),
    [
        ({"$top": "1", "top": "2"}, True, "$top", "specified more than once"),
        ({"$filter": "a", "$Filter": "b"}, False, "$filter", "specified more than once"),
        ({"$xyz": "1"}, False, "$xyz", "unknown system query option; expected one of: $count"),
        ({"$xyz": "1"}, True, "$xyz", "unknown system query option"),
        ({"$": "1"}, False, "$", "unknown system query option"),
    ],
)
def test_normalize_query_options_errors(
    params: dict[str, str], allow_bare: bool, option: str, fragment: str
) -> None:
    with pytest.raises(ODataQueryError) as info:
        normalize_query_options(params, allow_bare=allow_bare)
    assert info.value.option == option
    assert fragment in str(info.value)
