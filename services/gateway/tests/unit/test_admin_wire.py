"""The admin plugin's wire details (WIRE-NOTES §15): JavaScript's `String()` and `Number()` as
zod and list-users apply them, zod unions and `.nonempty(message)`, list-users' page numbers,
and has-permission's body, all as the 1.7.25 peer answered."""

import math

import pytest

from authmesh_gateway.routes.admin import (
    NO_PERMISSIONS_MESSAGE,
    checked_permissions,
    page_number,
)
from authmesh_gateway.wire.body import MISSING
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.js import number_to_string, to_number, to_string
from authmesh_gateway.wire.schemas import BAN_USER, LIST_USERS_QUERY, SET_ROLE, SET_USER_PASSWORD
from authmesh_gateway.wire.validation import validate_body


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        (True, "true"),
        (5, "5"),
        (5.0, "5"),
        (-3.25, "-3.25"),
        (1e21, "1e+21"),
        (1e-7, "0.0000001"),
        (1.5e-8, "1.5e-8"),
        ([1, None, "a"], "1,,a"),
        ({}, "[object Object]"),
        ("id", "id"),
    ],
)
def test_string_is_javascripts(value: object, expected: str) -> None:
    assert to_string(value) == expected


def test_number_to_string_spells_non_finite_numbers() -> None:
    assert [number_to_string(v) for v in (math.nan, math.inf, -math.inf)] == [
        "NaN",
        "Infinity",
        "-Infinity",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0.0),
        (" 5 ", 5.0),
        ("1e2", 100.0),
        ("0x10", 16.0),
        ("0b101", 5.0),
        (".5", 0.5),
        ("-1", -1.0),
        ("Infinity", math.inf),
    ],
)
def test_number_reads_what_javascript_reads(text: str, expected: float) -> None:
    assert to_number(text) == expected


@pytest.mark.parametrize("text", ["abc", "nan", "inf", "1_000", "1,5", "0x", "--1"])
def test_number_is_nan_for_what_javascript_cannot_read(text: str) -> None:
    assert math.isnan(to_number(text))


@pytest.mark.parametrize(
    ("raw", "page"),
    [(None, 0), ("abc", 0), ("0", 0), ("10", 10), (" 7 ", 7), ("-1", -1), ("1.5", -1)],
)
def test_page_numbers_as_better_auth_reads_them(raw: str | None, page: int) -> None:
    assert page_number(raw) == page


def _issues(body: object, schema: object) -> str:
    with pytest.raises(ApiError) as refused:
        validate_body(body, schema)  # type: ignore[arg-type]
    return refused.value.message or ""


def test_coerced_ids_unions_and_nonempty_messages_are_zods() -> None:
    assert _issues({}, BAN_USER) == (
        "[body.userId] Invalid input: expected nonoptional, received undefined"
    )
    assert validate_body({"userId": None}, BAN_USER) == {"userId": None}  # String(null)
    assert _issues({"userId": "u"}, SET_ROLE) == "[body.role] Invalid input"
    assert _issues({"userId": "u", "role": [5]}, SET_ROLE) == "[body.role] Invalid input"
    assert validate_body({"userId": "u", "role": ["a", "b"]}, SET_ROLE)["role"] == ["a", "b"]
    assert _issues({"userId": "", "newPassword": ""}, SET_USER_PASSWORD) == (
        "[body.newPassword] newPassword cannot be empty; [body.userId] userId cannot be empty"
    )


def test_list_users_query_unions() -> None:
    assert validate_body({"limit": "5", "filterValue": ["a", "b"]}, LIST_USERS_QUERY)
    with pytest.raises(ApiError) as refused:
        validate_body({"limit": ["1", "2"]}, LIST_USERS_QUERY, source="query")
    assert refused.value.message == "[query.limit] Invalid input"


def test_has_permission_bodies() -> None:
    checked = checked_permissions({"permissions": {"user": ["list"], "session": []}})
    assert list(checked.items()) == [
        ("user", ["list"]),
        ("session", []),
    ]
    for body, message in (
        ({"permissions": {"user": "list"}}, "[body] Invalid input"),
        ({"permissions": {"user": [1]}}, "[body] Invalid input"),
        (
            {"permission": {"user": ["list"]}, "permissions": {"user": ["list"]}},
            "[body] Invalid input: more than one option matched",
        ),
        (
            {"role": 5},
            "[body.role] Invalid input: expected string, received number; [body] Invalid input",
        ),
        (
            MISSING,
            "[body] Invalid input: expected object, received undefined; [body] Invalid input",
        ),
        (None, "[body] Invalid input: expected object, received null; [body] Invalid input"),
    ):
        with pytest.raises(ApiError) as refused:
            checked_permissions(body)  # type: ignore[arg-type]
        assert (refused.value.code, refused.value.message) == ("VALIDATION_ERROR", message)
    # The legacy key passes zod, which strips it: no permissions are left.
    with pytest.raises(ApiError) as refused:
        checked_permissions({"permission": {"user": ["list"]}})
    assert (refused.value.status, refused.value.code) == (400, None)
    assert refused.value.message == NO_PERMISSIONS_MESSAGE
