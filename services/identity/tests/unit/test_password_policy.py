"""The password policy's pure rules: the bundled blocklist, the strict option, the settings that
build them, and how a throttled check chooses its refusal."""

import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from authmesh_identity.domain.password_blocklist import bundled_blocklist, is_blocklisted
from authmesh_identity.domain.password_throttle import account_attempts_key, refusal
from authmesh_identity.domain.passwords import (
    AttemptCount,
    PasswordPolicy,
    ThrottlePolicy,
    has_every_character_class,
)
from authmesh_identity.settings import IdentitySettings
from authmesh_kit.crypto.key_ring import new_key_ring_spec
from authmesh_kit.errors import DomainError

BLOCKLIST = bundled_blocklist()
NIST = PasswordPolicy(8, 128, BLOCKLIST)
STRICT = PasswordPolicy(12, 128, BLOCKLIST, require_character_classes=True)


def reason(policy: PasswordPolicy, password: str) -> str | None:
    try:
        policy.check(password)
    except DomainError as error:
        return error.reason
    return None


def test_the_bundled_list_has_100_000_passwords_of_at_least_8_characters() -> None:
    assert len(BLOCKLIST) == 100_000
    assert min(map(len, BLOCKLIST)) >= 8
    assert all(entry == entry.lower() for entry in BLOCKLIST)
    assert {"password", "12345678", "iloveyou", "password1", "qwertyuiop"} <= BLOCKLIST


def test_loading_the_list_costs_little_and_happens_once() -> None:
    bundled_blocklist.cache_clear()
    tracemalloc.start()
    started = time.perf_counter()
    loaded = bundled_blocklist()
    elapsed = time.perf_counter() - started
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert loaded == BLOCKLIST
    assert bundled_blocklist() is loaded
    assert size < 16_000_000  # about 10 MB
    assert elapsed < 5  # about 0.03 s untraced; generous for a loaded machine


@pytest.mark.parametrize("password", ["password1", "Password1", "PASSWORD1", "pAsSwOrD1"])
def test_a_listed_password_is_refused_in_any_case(password: str) -> None:
    assert is_blocklisted(BLOCKLIST, password)
    assert reason(NIST, password) == "PASSWORD_COMPROMISED"


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "qzvtxkbwmrjpl",  # 13 random lowercase letters (ASVS 6.2.5)
        "48271938475620193847",  # 20 digits, not listed
        "🦊🦊🦊🦊",  # 8 UTF-16 units
        "password1 but longer",  # the whole password is compared, not substrings
    ],
)
def test_nist_policy_has_no_composition_rule(password: str) -> None:
    assert reason(NIST, password) is None


def test_the_length_errors_come_before_the_blocklist() -> None:
    assert reason(NIST, "passwor") == "PASSWORD_TOO_SHORT"
    assert reason(NIST, "x" * 129) == "PASSWORD_TOO_LONG"
    assert reason(STRICT, "Password1!") == "PASSWORD_TOO_SHORT"  # 10 < 12


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Tr0ub4dor&3xyz", None),
        ("tr0ub4dor&3xyz", "PASSWORD_TOO_WEAK"),  # no upper-case letter
        ("TR0UB4DOR&3XYZ", "PASSWORD_TOO_WEAK"),  # no lower-case letter
        ("Troubador&xyzw", "PASSWORD_TOO_WEAK"),  # no digit
        ("Tr0ub4dor3xyzw", "PASSWORD_TOO_WEAK"),  # no symbol
        ("Tr0ub4dor 3xyz", "PASSWORD_TOO_WEAK"),  # a space is not a symbol
        ("Ünïcödé1€straße", None),  # letters and symbols of any script count
        ("Password@123", "PASSWORD_COMPROMISED"),  # composition is no defence against the list
    ],
)
def test_strict_policy_requires_every_character_class(password: str, expected: str | None) -> None:
    assert reason(STRICT, password) == expected


def test_character_classes() -> None:
    assert has_every_character_class("aA1!")
    assert not has_every_character_class("aA1 ")
    assert has_every_character_class("ßΣ٣#")  # Greek capital, Arabic-Indic digit


@pytest.fixture
def identity_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name, value in {
        "AUTHMESH_IDENTITY_DATABASE_URL": "postgresql://identity@localhost/authmesh",
        "AUTHMESH_SERVICE_KEY": "key",
        "AUTHMESH_SERVICE_PUBLIC_KEYS": "",
        "AUTHMESH_ENCRYPTION_KEYS": new_key_ring_spec(),
        "AUTHMESH_BASE_URL": "https://auth.example.com",
    }.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_settings_default_to_nist_and_better_auths_lengths(
    identity_env: pytest.MonkeyPatch,
) -> None:
    policy = IdentitySettings().password_rules(BLOCKLIST)
    assert (policy.min_length, policy.max_length) == (8, 128)
    assert not policy.require_character_classes
    assert policy.blocklist is BLOCKLIST
    assert policy.throttle == ThrottlePolicy(5, timedelta(minutes=15), 100, timedelta(seconds=30))


def test_strict_settings_raise_the_minimum_to_12(identity_env: pytest.MonkeyPatch) -> None:
    identity_env.setenv("AUTHMESH_PASSWORD_POLICY", "strict")
    assert IdentitySettings().password_rules(BLOCKLIST).min_length == 12
    identity_env.setenv("AUTHMESH_PASSWORD_MIN_LENGTH", "16")
    policy = IdentitySettings().password_rules(BLOCKLIST)
    assert (policy.min_length, policy.require_character_classes) == (16, True)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AUTHMESH_PASSWORD_POLICY", "lenient"),
        ("AUTHMESH_PASSWORD_DISABLE_AFTER", "101"),  # NIST: at most 100
        ("AUTHMESH_PASSWORD_LOCK_AFTER", "0"),
        ("AUTHMESH_PASSWORD_MIN_LENGTH", "7"),
    ],
)
def test_settings_outside_the_policy_are_refused(
    identity_env: pytest.MonkeyPatch, name: str, value: str
) -> None:
    identity_env.setenv(name, value)
    with pytest.raises(ValidationError):
        IdentitySettings()


def test_locking_after_disabling_is_refused(identity_env: pytest.MonkeyPatch) -> None:
    identity_env.setenv("AUTHMESH_PASSWORD_LOCK_AFTER", "20")
    identity_env.setenv("AUTHMESH_PASSWORD_DISABLE_AFTER", "10")
    with pytest.raises(ValidationError):
        IdentitySettings()


def test_an_account_and_an_unknown_login_have_distinct_stable_keys() -> None:
    user = account_attempts_key(user_id="u1", login="email:a@example.com")
    assert user == account_attempts_key(user_id="u1")  # the account, whatever named it
    unknown = account_attempts_key(user_id=None, login="email:a@example.com")
    assert unknown != user
    assert unknown != account_attempts_key(user_id=None, login="username:a@example.com")
    assert len(unknown) == 32


def test_a_refusal_says_how_long_the_lock_lasts_or_that_a_reset_is_needed() -> None:
    throttle = ThrottlePolicy()
    now = datetime.now(UTC)
    locked = refusal(throttle, AttemptCount(False, 12, now + timedelta(seconds=89.2)), now)
    assert (locked.reason, locked.metadata) == (
        "ACCOUNT_TEMPORARILY_LOCKED",
        {"retry_after_s": "90"},
    )
    disabled = refusal(throttle, AttemptCount(False, 100, now + timedelta(minutes=5)), now)
    assert (disabled.reason, disabled.metadata) == ("TOO_MANY_ATTEMPTS_RESET_PASSWORD", {})


@pytest.mark.parametrize(("lock_after", "disable_after"), [(0, 10), (11, 10), (10, 101)])
def test_a_throttle_beyond_nist_cannot_be_built(lock_after: int, disable_after: int) -> None:
    with pytest.raises(ValueError, match="100"):
        ThrottlePolicy(lock_after, timedelta(minutes=1), disable_after)
