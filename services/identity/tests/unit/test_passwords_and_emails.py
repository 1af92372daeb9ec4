"""Password hashing and email normalisation: pure rules of the identity domain."""

import pytest
from argon2 import PasswordHasher as Argon2Hasher

from authmesh_identity.domain.emails import normalize_email
from authmesh_identity.domain.passwords import PasswordHasher, PasswordPolicy
from authmesh_kit.errors import DomainError

# The smallest parameters argon2 accepts keep these tests fast; the floor is enforced in settings.
HASHER = PasswordHasher(memory_kib=8, time_cost=1, parallelism=1, threads=1)


async def test_a_password_verifies_against_its_own_hash_only() -> None:
    stored = await HASHER.hash("correct horse")
    assert await HASHER.verify(stored, "correct horse")
    assert not await HASHER.verify(stored, "wrong horse")


async def test_an_unknown_user_costs_a_verification_and_never_matches() -> None:
    assert not await HASHER.verify(None, "authmesh-dummy-password")


async def test_hashes_made_with_other_parameters_need_a_rehash() -> None:
    old = Argon2Hasher(memory_cost=16, time_cost=1, parallelism=1).hash("pw")
    assert HASHER.needs_rehash(old)
    assert not HASHER.needs_rehash(await HASHER.hash("pw"))


@pytest.mark.parametrize(
    ("password", "reason"), [("short", "PASSWORD_TOO_SHORT"), ("x" * 129, "PASSWORD_TOO_LONG")]
)
def test_the_policy_bounds_password_length(password: str, reason: str) -> None:
    with pytest.raises(DomainError) as refused:
        PasswordPolicy(8, 128).check(password)
    assert refused.value.reason == reason


def test_emails_are_trimmed_and_lower_cased() -> None:
    assert normalize_email("  Ada.Lovelace@Example.TEST ") == "ada.lovelace@example.test"


@pytest.mark.parametrize(
    "email", ["", "no-at-sign", "a@", "@b.test", "a@b@c.test", "x" * 250 + "@b.test"]
)
def test_malformed_emails_are_refused(email: str) -> None:
    with pytest.raises(DomainError) as refused:
        normalize_email(email)
    assert refused.value.reason == "INVALID_EMAIL"
