"""Redirect targets composed as Better-Auth composes them, and queries as better-call reads
them (appendQueryParams for verify-email; `new URL` + searchParams.set for reset links)."""

import pytest

from authmesh_gateway.redirects import append_query_params, redirect, with_search_params
from authmesh_gateway.wire.query import query_object

ERROR = {"error": "INVALID_TOKEN"}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/", "/?error=INVALID_TOKEN"),
        ("/welcome", "/welcome?error=INVALID_TOKEN"),
        ("/v?a=1", "/v?a=1&error=INVALID_TOKEN"),
        ("/v?a=1&", "/v?a=1&error=INVALID_TOKEN"),
        ("/v?", "/v?error=INVALID_TOKEN"),
        ("/v#top", "/v?error=INVALID_TOKEN#top"),
        ("/v?a=1#top?x", "/v?a=1&error=INVALID_TOKEN#top?x"),
        ("http://localhost:3000/done", "http://localhost:3000/done?error=INVALID_TOKEN"),
        ("myapp://open?x=1", "myapp://open?x=1&error=INVALID_TOKEN"),
    ],
)
def test_append_query_params(url: str, expected: str) -> None:
    assert append_query_params(url, ERROR) == expected


@pytest.mark.parametrize("url", ["//evil.example", "/\\evil.example", "welcome", "?x=1"])
def test_append_query_params_refuses_what_better_auth_throws_on(url: str) -> None:
    assert append_query_params(url, ERROR) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/reset", "http://localhost:8000/reset?token=T"),
        ("reset", "http://localhost:8000/api/reset?token=T"),
        ("/reset?token=old&x=1&token=2", "http://localhost:8000/reset?token=T&x=1"),
        ("http://localhost:3000/r#frag", "http://localhost:3000/r?token=T#frag"),
    ],
)
def test_with_search_params_resolves_against_the_auth_base(url: str, expected: str) -> None:
    assert with_search_params(url, "http://localhost:8000/api/auth", {"token": "T"}) == expected


def test_redirects_are_302_with_an_empty_body_and_an_ascii_location() -> None:
    answer = redirect("/bienvenue/é?x=a b")
    assert answer.status_code == 302 and answer.body == b""
    assert answer.headers["location"] == "/bienvenue/%C3%A9?x=a%20b"


def test_repeated_query_keys_become_arrays() -> None:
    assert query_object([("token", "a"), ("x", "1"), ("token", "b"), ("token", "c")]) == {
        "token": ["a", "b", "c"],
        "x": "1",
    }
