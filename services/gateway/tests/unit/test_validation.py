"""The body-reading and zod layer pinned to the Better-Auth 1.7.25 peer.

Every row below was sent with curl/http.client to the reference peer (NODE_ENV=production,
RATE_LIMIT=0) and its status and body copied here verbatim; WIRE-NOTES.md lists them with the
answers that come from handlers rather than from this layer.
"""

from collections.abc import Sequence

import pytest

from authmesh_gateway.wire.body import (
    FORM_OR_JSON,
    JSON_ONLY,
    MISSING,
    JsonValue,
    MediaType,
    parse_form,
    read_body,
)
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.schemas import (
    SEND_VERIFICATION_OTP,
    SIGN_IN_EMAIL,
    SIGN_IN_MAGIC_LINK,
    SIGN_OUT,
    SIGN_UP_EMAIL,
)
from authmesh_gateway.wire.validation import BodySchema, Field, is_email, validate_body

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
ENDPOINTS: dict[str, tuple[BodySchema, Sequence[MediaType]]] = {
    "/sign-up/email": (SIGN_UP_EMAIL, FORM_OR_JSON),
    "/sign-in/email": (SIGN_IN_EMAIL, FORM_OR_JSON),
    "/sign-out": (SIGN_OUT, JSON_ONLY),
}


def _undefined(*names: str) -> str:
    return "; ".join(
        f"[body.{name}] Invalid input: expected string, received undefined" for name in names
    )


def _answer(path: str, content_type: str | None, raw: bytes) -> tuple[int, bytes | None]:
    schema, allowed = ENDPOINTS[path]
    try:
        validate_body(read_body(content_type, raw, allowed), schema)
    except ApiError as error:
        return error.status, error.body()
    return 200, None


def _validation(message: str) -> bytes:
    return b'{"message":"' + message.encode() + b'","code":"VALIDATION_ERROR"}'


BAD_JSON = b'{"message":"Invalid JSON in request body","code":"BAD_REQUEST"}'

# (path, Content-Type, raw body, peer status, peer body) for answers this layer must give.
REJECTED = [
    ("/sign-up/email", JSON, b"{}", 400, _validation(_undefined("name", "email", "password"))),
    ("/sign-in/email", JSON, b"{}", 400, _validation(_undefined("email", "password"))),
    (
        "/sign-up/email",
        JSON,
        b'{"email":1,"password":true,"name":null}',
        400,
        b'{"message":"[body.name] Invalid input: expected string, received null; '
        b"[body.email] Invalid input: expected string, received number; "
        b'[body.password] Invalid input: expected string, received boolean",'
        b'"code":"VALIDATION_ERROR"}',
    ),
    (
        "/sign-up/email",
        JSON,
        b'{"email":[],"password":{},"name":1.5}',
        400,
        b'{"message":"[body.name] Invalid input: expected string, received number; '
        b"[body.email] Invalid input: expected string, received array; "
        b'[body.password] Invalid input: expected string, received object",'
        b'"code":"VALIDATION_ERROR"}',
    ),
    (
        "/sign-up/email",
        JSON,
        b"[]",
        400,
        b'{"message":"[body] Invalid input: expected object, received array; '
        b'[body] Invalid input: expected record, received array","code":"VALIDATION_ERROR"}',
    ),
    (
        "/sign-up/email",
        JSON,
        b'"str"',
        400,
        b'{"message":"[body] Invalid input: expected object, received string; '
        b'[body] Invalid input: expected record, received string","code":"VALIDATION_ERROR"}',
    ),
    (
        "/sign-up/email",
        JSON,
        b"5",
        400,
        b'{"message":"[body] Invalid input: expected object, received number; '
        b'[body] Invalid input: expected record, received number","code":"VALIDATION_ERROR"}',
    ),
    (
        "/sign-up/email",
        JSON,
        b"true",
        400,
        b'{"message":"[body] Invalid input: expected object, received boolean; '
        b'[body] Invalid input: expected record, received boolean","code":"VALIDATION_ERROR"}',
    ),
    ("/sign-up/email", JSON, b"{bad", 400, BAD_JSON),
    ("/sign-in/email", JSON, b"{bad", 400, BAD_JSON),
    ("/sign-out", JSON, b"{bad", 400, BAD_JSON),
    (
        "/sign-in/email",
        JSON,
        b"[]",
        400,
        _validation("[body] Invalid input: expected object, received array"),
    ),
    (
        "/sign-in/email",
        JSON,
        b"null",
        400,
        _validation("[body] Invalid input: expected object, received null"),
    ),
    (
        "/sign-in/email",
        JSON,
        b"",
        400,
        _validation("[body] Invalid input: expected object, received undefined"),
    ),
    # No Content-Type: the Node adapter never reads the body.
    (
        "/sign-in/email",
        None,
        b"hello",
        400,
        _validation("[body] Invalid input: expected object, received undefined"),
    ),
    (
        "/sign-up/email",
        JSON,
        b'{"name":"A","email":"not-an-email","password":"password123"}',
        400,
        _validation("[body.email] Invalid email address"),
    ),
    (
        "/sign-up/email",
        JSON,
        b'{"name":"A","email":"ok1@example.com","password":""}',
        400,
        _validation("[body.password] Too small: expected string to have >=1 characters"),
    ),
    (
        "/sign-up/email",
        JSON,
        b'{"name":"A","email":"not-an-email","password":""}',
        400,
        _validation(
            "[body.email] Invalid email address; "
            "[body.password] Too small: expected string to have >=1 characters"
        ),
    ),
    (
        "/sign-up/email",
        JSON,
        b'{"name":5,"email":"ok2@example.com","password":"password123"}',
        400,
        _validation("[body.name] Invalid input: expected string, received number"),
    ),
    (
        "/sign-up/email",
        JSON,
        b'{"name":"A","email":"X8@Example.COM","password":"password123","image":null}',
        400,
        _validation("[body.image] Invalid input: expected string, received null"),
    ),
    (
        "/sign-in/email",
        JSON,
        b'{"email":"nobody@example.com","password":"password123","rememberMe":null}',
        400,
        _validation("[body.rememberMe] Invalid input: expected boolean, received null"),
    ),
    (
        "/sign-in/email",
        FORM,
        b"email=nobody%40example.com&password=password123&rememberMe=false",
        400,
        _validation("[body.rememberMe] Invalid input: expected boolean, received string"),
    ),
    (
        "/sign-up/email",
        FORM,
        b"email=form1%40example.com&password=password123",
        400,
        _validation("[body.name] Invalid input: expected string, received undefined"),
    ),
    (
        "/sign-in/email",
        "text/plain",
        b"hello",
        415,
        b'{"message":"Content-Type \\"text/plain\\" is not allowed. Allowed types: '
        b'application/x-www-form-urlencoded, application/json","code":"UNSUPPORTED_MEDIA_TYPE"}',
    ),
    (
        "/sign-in/email",
        "Text/Plain; charset=UTF-8",
        b"hello",
        415,
        b'{"message":"Content-Type \\"Text/Plain; charset=UTF-8\\" is not allowed. Allowed types: '
        b'application/x-www-form-urlencoded, application/json","code":"UNSUPPORTED_MEDIA_TYPE"}',
    ),
    (
        "/sign-in/email",
        "application/vnd.api+json",
        b'{"email":"a@b.co","password":"x"}',
        415,
        b'{"message":"Content-Type \\"application/vnd.api+json\\" is not allowed. Allowed types: '
        b'application/x-www-form-urlencoded, application/json","code":"UNSUPPORTED_MEDIA_TYPE"}',
    ),
    (
        "/sign-in/email",
        "multipart/form-data; boundary=x",
        b"hello",
        415,
        b'{"message":"Content-Type \\"multipart/form-data; boundary=x\\" is not allowed. '
        b'Allowed types: application/x-www-form-urlencoded, application/json",'
        b'"code":"UNSUPPORTED_MEDIA_TYPE"}',
    ),
    (
        "/sign-out",
        "text/plain",
        b"hello",
        415,
        b'{"message":"Content-Type \\"text/plain\\" is not allowed. Allowed types: '
        b'application/json","code":"UNSUPPORTED_MEDIA_TYPE"}',
    ),
    (
        "/sign-out",
        FORM,
        b"a=b",
        415,
        b'{"message":"Content-Type \\"application/x-www-form-urlencoded\\" is not allowed. '
        b'Allowed types: application/json","code":"UNSUPPORTED_MEDIA_TYPE"}',
    ),
    (
        "/sign-out",
        JSON,
        b"[]",
        400,
        _validation("[body] Invalid input: expected object, received array"),
    ),
    (
        "/sign-out",
        JSON,
        b"null",
        400,
        _validation("[body] Invalid input: expected object, received null"),
    ),
    (
        "/sign-out",
        JSON,
        b'{"disableRedirect":"x"}',
        400,
        _validation("[body.disableRedirect] Invalid input: expected boolean, received string"),
    ),
    ("/sign-out", JSON, b"   ", 400, BAD_JSON),
    ("/sign-out", JSON, b"NaN", 400, BAD_JSON),
    ("/sign-out", JSON, b'{"state":NaN}', 400, BAD_JSON),
    ("/sign-out", JSON, b'{"state":"a"} x', 400, BAD_JSON),
    ("/sign-out", JSON, b"\x00{}", 400, BAD_JSON),
    (
        "/sign-out",
        JSON,
        b'{"state":"a","state":1}',
        400,
        _validation("[body.state] Invalid input: expected string, received number"),
    ),
    (
        "/sign-out",
        JSON,
        b'{"disableRedirect":1e400}',
        400,
        _validation("[body.disableRedirect] Invalid input: expected boolean, received Infinity"),
    ),
    (
        "/sign-out",
        JSON,
        b'{"state":{"a":1}}',
        400,
        _validation("[body.state] Invalid input: expected string, received object"),
    ),
]

# Bodies this layer must let through: the peer's answer (recorded in WIRE-NOTES.md) came from
# the handler, e.g. INVALID_EMAIL on sign-in, PASSWORD_TOO_SHORT on sign-up, 401 on sign-in.
PASSED = [
    ("/sign-up/email", JSON, b'{"name":"A","email":"ok1@example.com","password":"short"}'),
    ("/sign-up/email", JSON, b'{"name":"","email":"x9@example.com","password":"password123"}'),
    ("/sign-up/email", JSON, b'{"name":"A","email":"x1@example.com","password":"p","role":"x"}'),
    ("/sign-up/email", JSON, b'{"name":"A","email":"x4@example.com","password":"p","username":5}'),
    ("/sign-in/email", JSON, b'{"email":"not-an-email","password":"password123"}'),
    ("/sign-in/email", JSON, b'{"email":"ok1@example.com","password":""}'),
    ("/sign-in/email", JSON, b'{"email":"a@b.co","password":"x","extra":1}'),
    ("/sign-in/email", "application/json; charset=utf-8", b'{"email":"a@b.co","password":"x"}'),
    ("/sign-in/email", "APPLICATION/JSON", b'{"email":"a@b.co","password":"x"}'),
    ("/sign-in/email", FORM, b"email=nobody%40example.com&password=password123"),
    ("/sign-out", "text/plain", b""),
    ("/sign-out", None, b""),
    ("/sign-out", JSON, b"\xef\xbb\xbf{}"),
    ("/sign-out", JSON, b'{"state":"\xff\xfe"}'),
    ("/sign-out", JSON, b'{"state":"\\ud800"}'),
    ("/sign-out", JSON, b'{"callbackURL":""}'),
]


@pytest.mark.parametrize(("path", "content_type", "raw", "status", "body"), REJECTED)
def test_rejected_exactly_like_the_peer(
    path: str, content_type: str | None, raw: bytes, status: int, body: bytes
) -> None:
    assert _answer(path, content_type, raw) == (status, body)


@pytest.mark.parametrize(("path", "content_type", "raw"), PASSED)
def test_passed_to_the_handler_like_the_peer(
    path: str, content_type: str | None, raw: bytes
) -> None:
    assert _answer(path, content_type, raw) == (200, None)


def test_sign_up_without_an_object_is_a_validation_error_where_the_peer_crashes() -> None:
    # Peer: 500 with an empty body for `null` or no body at all, because the username
    # plugin's before-hook reads `ctx.body.username` before zod runs. We answer what zod says.
    expected = (
        "[body] Invalid input: expected object, received {0}; "
        "[body] Invalid input: expected record, received {0}"
    )
    assert _answer("/sign-up/email", JSON, b"null") == (
        400,
        _validation(expected.format("null")),
    )
    assert _answer("/sign-up/email", JSON, b"") == (400, _validation(expected.format("undefined")))


def test_json_nested_past_the_recursion_limit_is_invalid_json_where_v8_parses_it() -> None:
    # Peer: `"[" * 100_000` parses, then "[body] … expected object, received array".
    deep = b"[" * 100_000 + b"]" * 100_000
    assert _answer("/sign-out", JSON, deep) == (400, BAD_JSON)


def test_a_form_keeps_the_last_value_and_undecodable_escapes() -> None:
    # Peer sign-up with this form stored name "C D+" and image "%ZZ".
    form = parse_form(b"name=A+B&name=C%20D%2B&email=form2%40example.com&x&image=%ZZ")
    assert form == {"name": "C D+", "email": "form2@example.com", "x": "", "image": "%ZZ"}


def test_a_form_decodes_percent_escapes_as_utf8() -> None:
    assert parse_form(b"name=%C3%A9t%C3%A9&bad=%FF") == {"name": "été", "bad": "\ufffd"}


def test_unknown_fields_are_kept() -> None:
    body = validate_body({"email": "a@b.co", "password": "x", "extra": [1]}, SIGN_IN_EMAIL)
    assert body == {"email": "a@b.co", "password": "x", "extra": [1]}


def test_an_optional_body_may_be_absent_but_not_null() -> None:
    assert validate_body(MISSING, SIGN_OUT) == {}
    with pytest.raises(ApiError):
        validate_body(None, SIGN_OUT)


def test_nullable_fields_and_query_sources() -> None:
    schema = BodySchema((Field("organizationId", "string", required=False, nullable=True),))
    assert validate_body({"organizationId": None}, schema) == {"organizationId": None}
    with pytest.raises(ApiError) as caught:
        validate_body({"organizationId": 5}, schema, source="query")
    assert caught.value.message == (
        "[query.organizationId] Invalid input: expected string, received number"
    )


@pytest.mark.parametrize(
    ("value", "received"),
    [("5", "string"), (True, "boolean"), (None, "null"), (float("-inf"), "-Infinity")],
)
def test_numbers_reject_everything_else(value: object, received: str) -> None:
    # Peer, POST /admin/ban-user {"userId":"x","banExpiresIn": …}
    schema = BodySchema((Field("banExpiresIn", "number", required=False),))
    with pytest.raises(ApiError) as caught:
        validate_body({"banExpiresIn": value}, schema)  # type: ignore[dict-item]
    assert caught.value.message == (
        f"[body.banExpiresIn] Invalid input: expected number, received {received}"
    )


def test_numbers_accept_ints_and_floats() -> None:
    schema = BodySchema((Field("n", "number"),))
    assert validate_body({"n": 1.5}, schema) == {"n": 1.5}
    assert validate_body({"n": 2}, schema) == {"n": 2}


def test_string_lengths_count_utf16_units() -> None:
    schema = BodySchema((Field("name", "string", max_length=4),))
    assert validate_body({"name": "😀😀"}, schema) == {"name": "😀😀"}
    with pytest.raises(ApiError) as caught:
        validate_body({"name": "😀😀😀"}, schema)
    assert caught.value.message == "[body.name] Too big: expected string to have <=4 characters"


def test_a_record_body() -> None:
    # Peer, POST /update-user with `[]`.
    with pytest.raises(ApiError) as caught:
        validate_body([], BodySchema((), shape="record"))
    assert caught.value.message == "[body] Invalid input: expected record, received array"


@pytest.mark.parametrize(
    ("email", "valid"),
    [
        ("ok1@example.com", True),
        ("first.last+tag@sub.example.co", True),
        ("not-an-email", False),
        ("a@b.c", False),
        ("a@example.com\n", False),
        (".a@example.com", False),
        ("é@example.com", False),
    ],
)
def test_zod_email(email: str, valid: bool) -> None:
    assert is_email(email) is valid


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # Peer, POST /email-otp/send-verification-otp.
        (
            {},
            "[body.email] Invalid input: expected string, received undefined; [body.type] "
            'Invalid option: expected one of "email-verification"|"sign-in"|"forget-password"|'
            '"change-email"',
        ),
        (
            {"email": 5, "type": 5},
            "[body.email] Invalid input: expected string, received number; [body.type] "
            'Invalid option: expected one of "email-verification"|"sign-in"|"forget-password"|'
            '"change-email"',
        ),
        (
            {"email": "x", "type": "bogus"},
            '[body.type] Invalid option: expected one of "email-verification"|"sign-in"|'
            '"forget-password"|"change-email"',
        ),
    ],
)
def test_an_enum_field(body: dict[str, JsonValue], message: str) -> None:
    with pytest.raises(ApiError) as caught:
        validate_body(body, SEND_VERIFICATION_OTP)
    assert caught.value.message == message
    assert validate_body({"email": "x", "type": "sign-in"}, SEND_VERIFICATION_OTP)["type"] == (
        "sign-in"
    )


@pytest.mark.parametrize(
    ("metadata", "received"), [(5, "number"), ([], "array"), (None, "null"), ("x", "string")]
)
def test_a_record_field(metadata: JsonValue, received: str) -> None:
    # Peer, POST /sign-in/magic-link with `metadata`.
    with pytest.raises(ApiError) as caught:
        validate_body({"email": "a@example.com", "metadata": metadata}, SIGN_IN_MAGIC_LINK)
    assert caught.value.message == (
        f"[body.metadata] Invalid input: expected record, received {received}"
    )
    body: dict[str, JsonValue] = {"email": "a@example.com", "metadata": {"any": [1]}}
    assert validate_body(body, SIGN_IN_MAGIC_LINK) == body
