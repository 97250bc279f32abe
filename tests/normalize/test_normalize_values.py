"""Timestamps, scalar coercions and the fast constructors."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigil.model import AuditEvent, ClientCredentialType, Location, SignIn, SignInKind
from vigil.normalize.fastbuild import fast_constructor, fast_replacer
from vigil.normalize.rejected import Invalid
from vigil.normalize.timestamps import parse_optional_time, parse_time
from vigil.normalize.values import (
    canonical_ip,
    canonical_key_id,
    credential_type,
    lower_id,
    opt_int,
    tenant_from_resource_id,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-02-08T06:22:28.3518405Z", datetime(2022, 2, 8, 6, 22, 28, 351840, tzinfo=UTC)),
        ("2022-02-08T06:22:28.3518405+00:00", datetime(2022, 2, 8, 6, 22, 28, 351840, tzinfo=UTC)),
        ("2022-02-08T08:22:28.35+02:00", datetime(2022, 2, 8, 6, 22, 28, 350000, tzinfo=UTC)),
        ("2022-02-08T06:22:28", datetime(2022, 2, 8, 6, 22, 28, tzinfo=UTC)),
        ("2022-02-08 06:22:28.123456789Z", datetime(2022, 2, 8, 6, 22, 28, 123456, tzinfo=UTC)),
        ("2021-08-02T13:29:25.983Z", datetime(2021, 8, 2, 13, 29, 25, 983000, tzinfo=UTC)),
        ("8/2/2021, 1:29:25.983 PM", datetime(2021, 8, 2, 13, 29, 25, 983000, tzinfo=UTC)),
        ("12/31/2023, 12:00:01 AM", datetime(2023, 12, 31, 0, 0, 1, tzinfo=UTC)),
        ("5/14/2024, 12:30:00.5 PM", datetime(2024, 5, 14, 12, 30, 0, 500000, tzinfo=UTC)),
        # saved again by a spreadsheet: no comma
        ("5/1/2024 10:00:00 AM", datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)),
        ("8/2/2021 1:29:25.983 PM", datetime(2021, 8, 2, 13, 29, 25, 983000, tzinfo=UTC)),
        # a browser's narrow no-break space before PM
        ("8/2/2021, 1:29:25\u202fPM", datetime(2021, 8, 2, 13, 29, 25, tzinfo=UTC)),
    ],
)
def test_parse_time(text: str, expected: datetime) -> None:
    parsed = parse_time(text, "t")
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    [
        "",
        "yesterday",
        "2022-13-01T00:00:00Z",
        "13/2/2021, 1:00:00 PM",
        "1/1/2021, 13:00 PM",
        "1/1/2021",
        "1/1/2021 13:00 PM",
        "5/1/2024 +10:00:00",
        "5/1/2024, 1_0:00:00",
        5,
        [],
        None,
    ],
)
def test_parse_time_rejects(value: object) -> None:
    with pytest.raises(Invalid) as info:
        parse_time(value, "when")
    assert info.value.field == "when"


def test_a_day_first_portal_date_is_refused_saying_so() -> None:
    """Day-first exports (en-GB, fr-FR browsers) cannot be told from month-first ones when the
    day is 12 or less; where it can, the reason says what happened and what to do."""
    with pytest.raises(Invalid) as info:
        parse_time("14/05/2024 09:21:07", "TimeGenerated [UTC]")
    assert "month 14" in str(info.value) and "day first" in str(info.value)
    assert "ISO 8601" in str(info.value)


def test_parse_optional_time() -> None:
    assert parse_optional_time(None, "t") is None
    assert parse_optional_time("", "t") is None


@given(st.datetimes(timezones=st.timezones()))
def test_parse_time_round_trips_any_aware_datetime(dt: datetime) -> None:
    try:
        expected = dt.astimezone(UTC)
    except OverflowError:
        return
    assert parse_time(dt.isoformat(), "t") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.2.3.4", "1.2.3.4"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("::ffff:1.2.3.4", "1.2.3.4"),  # IPv4-mapped: stored as the IPv4 address
        ("::FFFF:40.74.9.229", "40.74.9.229"),
        ("::ffff:284a:9e5", "40.74.9.229"),
        ("0:0:0:0:0:ffff:284a:09e5", "40.74.9.229"),
        ("::1.2.3.4", "::102:304"),  # IPv4-compatible (deprecated) is not mapped
        ("64:ff9b::1.2.3.4", "64:ff9b::102:304"),
        ("fe80::1%eth0", "fe80::1"),  # a zone id is dropped
        ("fe80::1%" + "x" * 60, "fe80::1"),
        ("::ffff:1.2.3.4%1", "1.2.3.4"),
        ("1.2.3.4%1", None),
        ("1.2.3", None),
        ("", None),
        (None, None),
    ],
)
def test_canonical_ip(value: str | None, expected: str | None) -> None:
    assert canonical_ip(value, "ip") == expected
    assert canonical_ip(value, "ip") == expected  # cached path


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("BF46B7A1-7aec-4674-8857-fd6c721f0cd3", "bf46b7a1-7aec-4674-8857-fd6c721f0cd3"),
        ("{bf46b7a1-7aec-4674-8857-fd6c721f0cd3}", "bf46b7a1-7aec-4674-8857-fd6c721f0cd3"),
        (" { BF46B7A1-7aec-4674-8857-fd6c721f0cd3 } ", "bf46b7a1-7aec-4674-8857-fd6c721f0cd3"),
        ("{bf46b7a1", "{bf46b7a1"),  # not a braced value: kept (and checked against the width)
        ("{}", None),
        ("  ", None),
    ],
)
def test_canonical_key_id(value: str, expected: str | None) -> None:
    assert canonical_key_id(value) == expected
    assert lower_id(value, "keyId") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("clientSecret", ClientCredentialType.clientSecret),
        ("Client secret", ClientCredentialType.clientSecret),
        ("ClientSecret", ClientCredentialType.clientSecret),
        ("client-assertion", ClientCredentialType.clientAssertion),
        ("Federated identity credential", ClientCredentialType.federatedIdentityCredential),
        ("Managed identity", ClientCredentialType.managedIdentity),
        ("Certificate", ClientCredentialType.certificate),
        ("none", ClientCredentialType.none),
        ("passkey", None),
        (None, None),
    ],
)
def test_credential_type(value: str | None, expected: ClientCredentialType | None) -> None:
    assert credential_type(value, "cct") is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(7, 7), ("42", 42), (" 42 ", 42), ("4.0", 4), (3.0, 3), ("", None), (None, None)],
)
def test_opt_int(value: object, expected: int | None) -> None:
    assert opt_int(value, "n") == expected


@pytest.mark.parametrize(
    "value", ["4.5", "x", True, 2.5, [1], {}, -9.223372036854776e18, 1e20, "-1e20", "1e300"]
)
def test_opt_int_rejects(value: object) -> None:
    with pytest.raises(Invalid):
        opt_int(value, "n")


def test_tenant_from_resource_id() -> None:
    assert tenant_from_resource_id("/tenants/ABC/providers/Microsoft.aadiam") == "abc"
    assert tenant_from_resource_id("/subscriptions/x") is None
    assert tenant_from_resource_id(None) is None


def test_fast_constructor_matches_the_dataclass_constructor() -> None:
    make = fast_constructor(SignIn)
    kwargs = {
        "id": "x",
        "created_date_time": datetime(2024, 1, 1, tzinfo=UTC),
        "kind": SignInKind.managedIdentity,
        "service_principal_id": "sp",
        "location": Location(city="c"),
        "error_code": 5,
    }
    built = make(**kwargs)
    assert built == SignIn(**kwargs)
    assert type(built) is SignIn
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.id = "y"  # type: ignore[misc]
    assert make(*[getattr(built, f.name) for f in dataclasses.fields(SignIn)]) == built


def test_fast_replacer_matches_dataclasses_replace() -> None:
    original = SignIn("x", datetime(2024, 1, 1, tzinfo=UTC), SignInKind.servicePrincipal, "sp")
    replace = fast_replacer(SignIn, "asn", "is_hosting")
    assert replace(original, 8075, True) == dataclasses.replace(original, asn=8075, is_hosting=True)
    with pytest.raises(TypeError):
        fast_replacer(SignIn, "nope")


def test_fast_constructor_refuses_unsupported_classes() -> None:
    @dataclasses.dataclass
    class Plain:
        a: int

    with pytest.raises(TypeError):
        fast_constructor(Plain)
    assert fast_constructor(AuditEvent)  # tuple defaults are plain defaults, allowed
