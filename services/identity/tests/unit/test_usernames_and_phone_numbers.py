"""Usernames and phone numbers: pure rules of the identity domain (api.md §9.6, §9.7), with
the answers of the Better-Auth 1.7.25 peer."""

import pytest

from authmesh_identity.domain.one_time_codes import CodeOutcome
from authmesh_identity.domain.phone_numbers import (
    check_phone_number,
    code_error,
    is_phone_number,
    is_placeholder_email,
    placeholder_email,
)
from authmesh_identity.domain.use_cases.verify_password import Login, LoginKind, account_key
from authmesh_identity.domain.usernames import (
    UsernameChoice,
    normalize_username,
    sign_up_username,
    username_problem,
)
from authmesh_kit.errors import DomainError, ErrorKind


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "USERNAME_TOO_SHORT"),
        ("ab", "USERNAME_TOO_SHORT"),
        ("😀", "USERNAME_TOO_SHORT"),  # two UTF-16 units, as JavaScript counts
        ("u😀", "INVALID_USERNAME"),  # three units: long enough, but not of the allowed set
        ("a" * 31, "USERNAME_TOO_LONG"),
        ("a b c", "INVALID_USERNAME"),
        ("ééé", "INVALID_USERNAME"),  # three characters, but not of the allowed set
        ("ab-c", "INVALID_USERNAME"),
        ("abc\n", "INVALID_USERNAME"),
    ],
)
def test_malformed_usernames_are_refused_in_better_auths_order(raw: str, reason: str) -> None:
    problem = username_problem(raw)
    assert problem is not None and problem.reason == reason
    assert problem.kind is ErrorKind.INVALID_ARGUMENT
    with pytest.raises(DomainError) as refused:
        normalize_username(raw)
    assert refused.value.reason == reason


@pytest.mark.parametrize("raw", ["abc", "a" * 30, "Ada_Lovelace.1815", "___"])
def test_usernames_are_stored_lower_cased(raw: str) -> None:
    assert username_problem(raw) is None
    assert normalize_username(raw) == raw.lower()


@pytest.mark.parametrize(
    ("username", "display", "expected"),
    [
        (None, None, UsernameChoice(None, None)),
        ("Alice_1", None, UsernameChoice("alice_1", "Alice_1")),
        ("Alice_1", "", UsernameChoice("alice_1", "Alice_1")),
        ("Carl_1", "Fancy Carl!", UsernameChoice("carl_1", "Fancy Carl!")),
        # A display name alone becomes the username too when it is a valid one …
        (None, "Bob.X", UsernameChoice("bob.x", "Bob.X")),
        # … and stays a display name only when it is not.
        (None, "ab", UsernameChoice(None, "ab")),
        (None, "Fancy Carl!", UsernameChoice(None, "Fancy Carl!")),
        (None, "", UsernameChoice(None, "")),
    ],
)
def test_sign_up_settles_the_names_as_better_auths_hooks_do(
    username: str | None, display: str | None, expected: UsernameChoice
) -> None:
    assert sign_up_username(username, display) == expected


def test_a_malformed_username_fails_the_sign_up_even_with_a_display_name() -> None:
    with pytest.raises(DomainError) as refused:
        sign_up_username("ab", "Good_Display")
    assert refused.value.reason == "USERNAME_TOO_SHORT"


@pytest.mark.parametrize("number", ["+15551234567", "+442071838750", "+6831234", "+1" + "9" * 14])
def test_e164_numbers_are_phone_numbers(number: str) -> None:
    assert is_phone_number(number)
    assert check_phone_number(number) == number


@pytest.mark.parametrize(
    "number",
    [
        "",
        "15551234567",  # no +
        "+05551234567",  # no country code starts with 0
        "+1 555 123 4567",  # one spelling per number: no spaces
        "+1-555-123-4567",
        "+123456",  # too short
        "+1" + "9" * 15,  # 16 digits
        "+1555123456\uff17",  # a full-width digit
        "+15551234567\n",
        "abc",
    ],
)
def test_anything_else_is_an_invalid_phone_number(number: str) -> None:
    assert not is_phone_number(number)
    with pytest.raises(DomainError) as refused:
        check_phone_number(number)
    assert refused.value.reason == "INVALID_PHONE_NUMBER"


def test_a_phone_sign_up_gets_a_placeholder_address_of_the_numbers_digits() -> None:
    email = placeholder_email("+15551234567", "phone.invalid")
    assert email == "15551234567@phone.invalid"
    assert is_placeholder_email(email, "phone.invalid")
    assert not is_placeholder_email("ada@example.test", "phone.invalid")


@pytest.mark.parametrize(
    ("outcome", "kind", "reason", "message"),
    [
        (CodeOutcome.NOT_FOUND, ErrorKind.INVALID_ARGUMENT, "OTP_NOT_FOUND", "OTP not found"),
        (CodeOutcome.EXPIRED, ErrorKind.INVALID_ARGUMENT, "OTP_EXPIRED", "OTP expired"),
        (CodeOutcome.INVALID, ErrorKind.INVALID_ARGUMENT, "INVALID_OTP", "Invalid OTP"),
        (
            CodeOutcome.TOO_MANY_ATTEMPTS,
            ErrorKind.PERMISSION_DENIED,
            "TOO_MANY_ATTEMPTS",
            "Too many attempts",
        ),
    ],
)
def test_every_failed_code_outcome_has_better_auths_answer(
    outcome: CodeOutcome, kind: ErrorKind, reason: str, message: str
) -> None:
    error = code_error(outcome)
    assert (error.kind, error.reason, error.message) == (kind, reason, message)


@pytest.mark.parametrize(
    ("login", "password", "key"),
    [
        (Login(LoginKind.EMAIL, " Ada@Example.TEST "), "pw", "ada@example.test"),
        (Login(LoginKind.EMAIL, "not-an-email"), "pw", ""),  # one more unknown account
        (Login(LoginKind.USERNAME, "Ada_1"), "pw", "ada_1"),
        # Better-Auth answers an empty name or password before it looks at the name's form.
        (Login(LoginKind.USERNAME, ""), "pw", ""),
        (Login(LoginKind.USERNAME, "ab"), "", ""),
        (Login(LoginKind.PHONE_NUMBER, "+15551234567"), "pw", "+15551234567"),
    ],
)
def test_a_login_names_its_account_by_a_stored_key(login: Login, password: str, key: str) -> None:
    assert account_key(login, password) == key


@pytest.mark.parametrize(
    ("login", "reason"),
    [
        (Login(LoginKind.USERNAME, "ab"), "USERNAME_TOO_SHORT"),
        (Login(LoginKind.USERNAME, "a b c"), "INVALID_USERNAME"),
        (Login(LoginKind.PHONE_NUMBER, "555"), "INVALID_PHONE_NUMBER"),
    ],
)
def test_a_malformed_login_name_is_refused_before_any_password_check(
    login: Login, reason: str
) -> None:
    with pytest.raises(DomainError) as refused:
        account_key(login, "some password")
    assert refused.value.reason == reason
