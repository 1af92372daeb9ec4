"""The pure rules of second factors: TOTP (RFC 6238 vectors, Better-Auth's URI), backup codes,
challenge and device ids, and what a user's factors offer."""

import base64
import string
from datetime import UTC, datetime, timedelta

import pytest

from authmesh_kit.crypto.key_ring import KeyRing, UndecryptableError, new_key_ring_spec
from authmesh_mfa.domain import backup_codes, totp, trusted_devices, two_factor_challenges
from authmesh_mfa.domain.errors import account_locked
from authmesh_mfa.domain.model import Factors

# RFC 6238 appendix B: the SHA-1 key "12345678901234567890", codes cut to 6 digits.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("unix_time", "code"),
    [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")],
)
def test_codes_follow_rfc_6238(unix_time: int, code: str) -> None:
    assert totp.code_at_step(RFC_SECRET, totp.step_at(unix_time)) == code
    assert totp.matching_step(RFC_SECRET, code, unix_time) == totp.step_at(unix_time)


def test_a_code_matches_its_step_and_one_either_side_only() -> None:
    now = 1_800_000_015.0
    step = totp.step_at(now)
    for offset in (-1, 0, 1):
        code = totp.code_at_step(RFC_SECRET, step + offset)
        assert totp.matching_step(RFC_SECRET, code, now) == step + offset
    for offset in (-2, 2):
        code = totp.code_at_step(RFC_SECRET, step + offset)
        assert totp.matching_step(RFC_SECRET, code, now) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "12345a", "١٢٣٤٥٦", " 12345"])
def test_malformed_codes_match_nothing(code: str) -> None:
    assert totp.matching_step(RFC_SECRET, code, 59) is None


def test_secrets_are_160_random_bits() -> None:
    secrets_ = {totp.new_secret() for _ in range(100)}
    assert len(secrets_) == 100
    assert all(len(base64.b32decode(secret)) == 20 for secret in secrets_)


def test_the_uri_is_better_auths() -> None:
    # Copied from the Better-Auth 1.7.25 peer's enable answers.
    assert totp.totp_uri(
        "GV3XQM2PIVJHSZKPNNVUE4SHGZ4WUS3UORLGIM3QNRKVQT3BIFHQ",
        issuer="BetterAuthPeer",
        account_name="u-2d9a91ff@example.test",
    ) == (
        "otpauth://totp/BetterAuthPeer:u-2d9a91ff%40example.test?secret="
        "GV3XQM2PIVJHSZKPNNVUE4SHGZ4WUS3UORLGIM3QNRKVQT3BIFHQ&issuer=BetterAuthPeer&digits=6"
        "&period=30"
    )
    assert totp.totp_uri("ABC", issuer="My App", account_name="a@b.c").startswith(
        "otpauth://totp/My%20App:a%40b.c?secret=ABC&issuer=My+App&"
    )


def test_backup_codes_are_ten_distinct_codes_in_better_auths_format() -> None:
    codes = backup_codes.new_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    alphabet = set(string.ascii_letters + string.digits)
    for code in codes:
        first, dash, second = code.partition("-")
        assert dash and len(first) == len(second) == 5
        assert set(first + second) <= alphabet


def test_a_backup_code_hash_depends_on_the_code_and_the_salt() -> None:
    salt, other_salt = backup_codes.new_salt(), backup_codes.new_salt()
    digest = backup_codes.code_hash("AAAAA-BBBBB", salt, 1000)
    assert digest == backup_codes.code_hash("AAAAA-BBBBB", salt, 1000)
    assert digest != backup_codes.code_hash("AAAAA-BBBBC", salt, 1000)
    assert digest != backup_codes.code_hash("AAAAA-BBBBB", other_salt, 1000)
    assert digest != backup_codes.code_hash("aaaaa-bbbbb", salt, 1000)


def test_challenge_ids_and_mailed_codes() -> None:
    challenge = two_factor_challenges.new_challenge_id()
    assert two_factor_challenges.is_well_formed(challenge)
    assert not two_factor_challenges.is_well_formed(challenge[:-1])
    assert not two_factor_challenges.is_well_formed(challenge + "x")
    assert not two_factor_challenges.is_well_formed("2fa-" + "!" * 32)
    other = two_factor_challenges.new_challenge_id()
    assert two_factor_challenges.challenge_hash(challenge) != two_factor_challenges.challenge_hash(
        other
    )
    otp = two_factor_challenges.new_otp()
    assert len(otp) == 6 and otp.isdigit()
    # A code is bound to its scope: one mailed for a challenge means nothing for another.
    here = two_factor_challenges.challenge_scope(challenge)
    there = two_factor_challenges.challenge_scope(other)
    session = two_factor_challenges.session_scope("session-id")
    assert len({here, there, session}) == 3
    assert two_factor_challenges.otp_hash(here, otp) != two_factor_challenges.otp_hash(there, otp)


def test_device_ids_are_bound_to_their_user() -> None:
    device = trusted_devices.new_device_id()
    assert device.startswith("trust-device-") and trusted_devices.is_well_formed(device)
    assert not trusted_devices.is_well_formed("trust-device-short")
    assert trusted_devices.device_hash("u1", device) != trusted_devices.device_hash("u2", device)


def _factors(**changes: object) -> Factors:
    values: dict[str, object] = {
        "user_id": "u1",
        "totp_secret": None,
        "totp_issuer": None,
        "totp_verified": False,
        "otp_enabled": False,
        "last_totp_step": None,
        "backup_code_salt": None,
        "failed_count": 0,
        "locked_until": None,
    }
    return Factors(**(values | changes))  # type: ignore[arg-type]


def test_methods_offer_only_what_the_user_turned_on() -> None:
    assert _factors().methods() == [] and not _factors().enabled
    assert _factors(totp_verified=True).methods() == ["totp"]
    assert _factors(otp_enabled=True).methods() == ["otp"]
    assert _factors(totp_verified=True, otp_enabled=True).methods() == ["totp", "otp"]


def test_a_lock_lasts_until_its_end() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    locked = _factors(locked_until=now + timedelta(minutes=15))
    assert locked.locked(now) and not locked.locked(now + timedelta(minutes=15))
    error = account_locked(now + timedelta(seconds=899.2), now)
    assert error.reason == "ACCOUNT_TEMPORARILY_LOCKED"
    assert error.metadata == {"retry_after_s": "900"}


def test_a_secret_sealed_with_an_older_key_is_sealed_again_with_the_current_one() -> None:
    old_key = new_key_ring_spec("k1")
    old_ring = KeyRing.from_spec(old_key)
    rotated = KeyRing.from_spec(f"{new_key_ring_spec('k2')},{old_key}")
    secret = totp.new_secret().encode()
    sealed = old_ring.seal(secret, totp.secret_context("u1"))
    fresh = totp.resealed(rotated, sealed, "u1")
    assert fresh is not None and fresh.key_id == "k2"
    assert rotated.open(fresh, totp.secret_context("u1")) == secret
    assert totp.resealed(rotated, fresh, "u1") is None
    # Bound to its user: another user's row cannot open it.
    with pytest.raises(UndecryptableError):
        rotated.open(fresh, totp.secret_context("u2"))
