"""The router's redirect-field check and the JSON quirks around it (WIRE-NOTES §1.3, §3)."""

import pytest

from authmesh_gateway.wire.body import MISSING, Body, parse_json
from authmesh_gateway.wire.callback_urls import check_redirect_fields
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.js import to_well_formed, truthy


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"callbackURL": 5}, "Invalid callbackURL: expected a string"),
        ({"callbackURL": []}, "Invalid callbackURL: expected a string"),  # [] is truthy in JS
        ({"callbackURL": {}}, "Invalid callbackURL: expected a string"),
        ({"redirectTo": True}, "Invalid redirectURL: expected a string"),
        ({"errorCallbackURL": 1.5}, "Invalid errorCallbackURL: expected a string"),
        ({"newUserCallbackURL": [1]}, "Invalid newUserCallbackURL: expected a string"),
        # The middleware's order, not the body's.
        ({"redirectTo": 1, "callbackURL": 1}, "Invalid callbackURL: expected a string"),
    ],
)
def test_a_truthy_non_string_is_a_400_without_a_code(body: dict[str, object], message: str) -> None:
    with pytest.raises(ApiError) as caught:
        check_redirect_fields(body)  # type: ignore[arg-type]
    assert (caught.value.status, caught.value.body()) == (
        400,
        f'{{"message":"{message}"}}'.encode(),
    )


@pytest.mark.parametrize(
    "body",
    [
        {"callbackURL": 0},
        {"callbackURL": False},
        {"callbackURL": None},
        {"callbackURL": ""},
        {"callbackURL": "/ok"},
        {"other": 5},
        [],
        None,
        MISSING,
    ],
)
def test_falsy_values_and_strings_are_left_to_zod(body: Body) -> None:
    check_redirect_fields(body)


def test_truthy_is_javascripts() -> None:
    truthy_values: tuple[object, ...] = ([], {}, "0", -1, 0.5)
    assert [truthy(value) for value in truthy_values] == [True] * 5
    assert [truthy(value) for value in (0, 0.0, "", None, False)] == [False] * 5


def test_lone_surrogate_escapes_become_replacement_characters() -> None:
    assert to_well_formed("a\ud800b\udfff") == "a\ufffdb\ufffd"
    raw = b'{"a\\udc00":["\\ud800x","\\ud83d\\ude00","\\\\ud800"],"n":1}'
    assert parse_json(raw) == {"a\ufffd": ["\ufffdx", "\U0001f600", "\\ud800"], "n": 1}
