"""Roles: names and values from ``roles``, template ids from ``wids``, and what each role grants."""

from __future__ import annotations

import pytest

from vigil.auth import (
    GRANTS,
    ROLE_TEMPLATE_IDS,
    Permission,
    Role,
    allows,
    role_from_name,
    roles_from_claims,
)


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("Security Reader", Role.security_reader),
        ("SecurityReader", Role.security_reader),
        ("security-reader", Role.security_reader),
        ("GLOBAL READER", Role.global_reader),
        ("SecurityOperator", Role.security_operator),
        ("Security.Administrator", Role.security_administrator),
        ("Reader", None),
        ("Security Readers", None),
        ("", None),
    ],
)
def test_role_from_name(text, role):
    assert role_from_name(text) is role


def test_grants_follow_entra_roles():
    table = {(r, p) for r in Role for p in Permission if allows([r], p)}
    assert table == {
        (Role.security_reader, Permission.read),
        (Role.global_reader, Permission.read),
        (Role.security_operator, Permission.read),
        (Role.security_operator, Permission.act),
        (Role.security_administrator, Permission.read),
        (Role.security_administrator, Permission.act),
        (Role.security_administrator, Permission.disable),
    }
    assert set(GRANTS) == set(Role)


def test_every_role_has_its_entra_template_id():
    assert sorted(ROLE_TEMPLATE_IDS.values()) == sorted(Role)
    assert ROLE_TEMPLATE_IDS["194ae4cb-b126-40b2-bd5b-6091b380977d"] is Role.security_administrator
    assert ROLE_TEMPLATE_IDS["f2ef992c-3afb-46b9-b7cf-a126ee74c451"] is Role.global_reader


@pytest.mark.parametrize(
    ("claims", "roles"),
    [
        ({"roles": ["SecurityReader", "Something.Else"]}, {Role.security_reader}),
        ({"roles": "Security Operator"}, {Role.security_operator}),
        ({"wids": ["5F2222B1-57C3-48BA-8AD5-D4759F1FDE6F"]}, {Role.security_operator}),
        (
            {"roles": ["Global Reader"], "wids": ["194ae4cb-b126-40b2-bd5b-6091b380977d"]},
            {Role.global_reader, Role.security_administrator},
        ),
        ({"roles": [1, None, {"x": 1}], "wids": "not-a-list-id"}, set()),
        ({}, set()),
    ],
)
def test_roles_from_claims(claims, roles):
    assert roles_from_claims(claims) == roles


def test_custom_roles_claim():
    assert roles_from_claims({"groups_roles": ["SecurityAdministrator"]}, "groups_roles") == {
        Role.security_administrator
    }
