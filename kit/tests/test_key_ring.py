"""The key ring seals with its current key, opens with any, and refuses tampering."""

import pytest

from authmesh_kit.crypto.key_ring import KeyRing, Sealed, UndecryptableError, new_key_ring_spec
from authmesh_kit.events.notifications import EMAIL, build_message, open_message, seal_message

OLD = new_key_ring_spec("k1")
NEW = new_key_ring_spec("k2")


def test_rotation_seals_with_the_first_key_and_opens_with_all() -> None:
    sealed_before = KeyRing.from_spec(OLD).seal(b"secret", b"purpose")
    rotated = KeyRing.from_spec(f"{NEW},{OLD}")
    assert rotated.open(sealed_before, b"purpose") == b"secret"
    assert rotated.seal(b"x").key_id == "k2"


def test_tampering_another_purpose_and_unknown_keys_are_refused() -> None:
    ring = KeyRing.from_spec(OLD)
    sealed = ring.seal(b"secret", b"purpose")
    flipped = Sealed(
        sealed.key_id, sealed.nonce, bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:]
    )
    for attempt, context in [(flipped, b"purpose"), (sealed, b"other purpose")]:
        with pytest.raises(UndecryptableError):
            ring.open(attempt, context)
    with pytest.raises(UndecryptableError):
        KeyRing.from_spec(NEW).open(sealed, b"purpose")


@pytest.mark.parametrize("spec", ["", "k1:not-base64!", "k1:" + "QUJD"])
def test_malformed_specs_fail_at_start_up(spec: str) -> None:
    with pytest.raises(ValueError):
        KeyRing.from_spec(spec)


def test_notify_messages_round_trip_sealed() -> None:
    from datetime import UTC, datetime

    ring = KeyRing.from_spec(OLD)
    message = build_message(
        "verify-email",
        channel=EMAIL,
        to="a@b.test",
        expires_at=datetime.now(UTC),
        fields={"token": "t0ken"},
    )
    data = seal_message(ring, message)
    assert b"t0ken" not in data
    assert open_message(ring, data) == message
