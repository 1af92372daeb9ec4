"""Error bodies, byte for byte as the Better-Auth 1.7.25 peer sent them."""

from pathlib import Path

import pytest

from authmesh_gateway.wire import errors
from authmesh_gateway.wire.errors import ApiError, KnownError, catalogue, message_for

PACKAGED_TSV = Path(errors.__file__).with_name("error_codes.tsv")
SHARED_TSV = Path("/work/shared/better-auth/error-codes.tsv")


@pytest.mark.parametrize(
    ("known", "body"),
    [
        (errors.UNAUTHORIZED, b'{"message":"Unauthorized","code":"UNAUTHORIZED"}'),
        (
            errors.INVALID_EMAIL_OR_PASSWORD,
            b'{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}',
        ),
        (errors.INVALID_EMAIL, b'{"message":"Invalid email","code":"INVALID_EMAIL"}'),
        (
            errors.PASSWORD_TOO_SHORT,
            b'{"message":"Password too short","code":"PASSWORD_TOO_SHORT"}',
        ),
        (errors.PASSWORD_TOO_LONG, b'{"message":"Password too long","code":"PASSWORD_TOO_LONG"}'),
        (
            errors.USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL,
            b'{"message":"User already exists. Use another email.",'
            b'"code":"USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"}',
        ),
        (
            errors.FAILED_TO_CREATE_USER,
            b'{"message":"Failed to create user","code":"FAILED_TO_CREATE_USER"}',
        ),
        (
            errors.INVALID_CALLBACK_URL,
            b'{"message":"Invalid callbackURL","code":"INVALID_CALLBACK_URL"}',
        ),
        (
            errors.METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED,
            b'{"message":"POST method requires deferSessionRefresh to be enabled in session '
            b'config","code":"METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED"}',
        ),
    ],
    ids=lambda known: known.code if isinstance(known, KnownError) else "",
)
def test_known_errors_match_the_peer(known: KnownError, body: bytes) -> None:
    error = known.error()
    assert error.body() == body
    assert error.status == known.status


def test_peer_statuses_of_known_errors() -> None:
    statuses = {
        "UNAUTHORIZED": 401,
        "SESSION_NOT_FRESH": 403,
        "INVALID_EMAIL_OR_PASSWORD": 401,
        "INVALID_EMAIL": 400,
        "PASSWORD_TOO_SHORT": 400,
        "PASSWORD_TOO_LONG": 400,
        "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL": 422,
        "FAILED_TO_CREATE_USER": 422,
        "INVALID_CALLBACK_URL": 403,
        "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED": 405,
    }
    found = {
        value.code: value.status for value in vars(errors).values() if isinstance(value, KnownError)
    }
    assert found == statuses


def test_rate_limit_answer_has_no_code_and_a_retry_header() -> None:
    error = ApiError.too_many_requests(10)
    assert (error.status, error.body()) == (
        429,
        b'{"message":"Too many requests. Please try again later."}',
    )
    assert dict(error.headers) == {"X-Retry-After": "10"}


def test_message_only_code_only_and_empty_bodies() -> None:
    # Peer: sign-up with `"callbackURL":5` (origin check), admin endpoints without a session.
    assert (
        ApiError(400, None, "Invalid callbackURL: expected a string").body()
        == b'{"message":"Invalid callbackURL: expected a string"}'
    )
    assert ApiError(401, "INVALID_TOKEN").body() == b'{"code":"INVALID_TOKEN"}'
    assert ApiError(401).body() is None


def test_bodies_are_compact_utf8_like_json_stringify() -> None:
    assert ApiError(400, "X", 'é "q" \u2028 \ud800').body() == (
        '{"message":"é \\"q\\" \u2028 \\ud800","code":"X"}'.encode()
    )


@pytest.mark.skipif(not SHARED_TSV.exists(), reason="the shared API reference is not here")
def test_the_packaged_catalogue_is_the_shared_one() -> None:
    assert PACKAGED_TSV.read_bytes() == SHARED_TSV.read_bytes()


def test_catalogue() -> None:
    assert message_for("FIELD_NOT_ALLOWED") == "Field not allowed to be set"
    assert message_for("USERNAME_TOO_SHORT") == "Username is too short"
    assert message_for("INVALID_OTP") == "Invalid OTP"  # in email_otp and phone_number alike
    rows = PACKAGED_TSV.read_text().splitlines()[2:]
    assert {row.split("\t")[1] for row in rows} <= set(catalogue())
    with pytest.raises(KeyError):
        message_for("NOT_A_CODE")
