"""Trusted devices ("trust this device" for 30 days): pure rules.

A device id is `trust-device-` and 32 characters of [A-Za-z0-9], as in Better-Auth; the
gateway puts it in the signed `trust_device` cookie with an HMAC binding it to the user. mfa
keeps only its SHA-256, bound to the user. Each sign-in that a device skips the second factor
of consumes the id and issues a successor, so a copied cookie works once at most. Disabling
two-factor, a password change or reset, a ban and the user's deletion revoke every device.
"""

import hashlib
import re
import secrets
import string

DEVICE_PREFIX = "trust-device-"
_ID_LENGTH = 32
_ALPHABET = string.ascii_letters + string.digits
_WELL_FORMED = re.compile(rf"{DEVICE_PREFIX}[A-Za-z0-9]{{{_ID_LENGTH}}}")


def new_device_id() -> str:
    return DEVICE_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(_ID_LENGTH))


def is_well_formed(device_id: str) -> bool:
    return _WELL_FORMED.fullmatch(device_id) is not None


def device_hash(user_id: str, device_id: str) -> bytes:
    return hashlib.sha256(f"trusted-device:{user_id}:{device_id}".encode()).digest()
