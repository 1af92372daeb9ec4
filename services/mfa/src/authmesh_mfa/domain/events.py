"""Events of second factors (auth.mfa.two_factor.*, backup_codes, trusted_devices), built from
the kit's catalogue. None carries a secret, a code, a challenge or a device id."""

from datetime import datetime

from google.protobuf import timestamp_pb2

from authmesh.mfa.v1 import mfa_pb2
from authmesh_kit.events.catalogue import (
    BACKUP_CODES_GENERATED,
    TRUSTED_DEVICES_REVOKED,
    TWO_FACTOR_DISABLED,
    TWO_FACTOR_ENROLLED,
    TWO_FACTOR_FAILED,
    TWO_FACTOR_LOCKED,
    TWO_FACTOR_VERIFIED,
)
from authmesh_kit.events.envelope import Actor, Envelope, build_envelope


def _stamp(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def enrolled(user_id: str, method: str, changed_at: datetime, actor: Actor | None) -> Envelope:
    payload = mfa_pb2.TwoFactorEnrolled(
        user_id=user_id, method=method, changed_at=_stamp(changed_at)
    )
    return build_envelope(TWO_FACTOR_ENROLLED, payload, actor=actor, user_id=user_id)


def disabled(user_id: str, changed_at: datetime, actor: Actor | None) -> Envelope:
    payload = mfa_pb2.TwoFactorDisabled(user_id=user_id, changed_at=_stamp(changed_at))
    return build_envelope(TWO_FACTOR_DISABLED, payload, actor=actor, user_id=user_id)


def verified(
    user_id: str, method: str, *, sign_in: bool, device_trusted: bool, actor: Actor | None
) -> Envelope:
    payload = mfa_pb2.TwoFactorVerified(
        user_id=user_id, method=method, sign_in=sign_in, device_trusted=device_trusted
    )
    return build_envelope(TWO_FACTOR_VERIFIED, payload, actor=actor, user_id=user_id)


def failed(
    user_id: str, method: str, reason: str, consecutive_failures: int, actor: Actor | None
) -> Envelope:
    payload = mfa_pb2.TwoFactorFailed(
        user_id=user_id,
        method=method,
        reason=reason,
        consecutive_failures=consecutive_failures,
    )
    return build_envelope(TWO_FACTOR_FAILED, payload, actor=actor, user_id=user_id)


def locked(user_id: str, locked_until: datetime, actor: Actor | None) -> Envelope:
    payload = mfa_pb2.TwoFactorLocked(user_id=user_id, locked_until=_stamp(locked_until))
    return build_envelope(TWO_FACTOR_LOCKED, payload, actor=actor, user_id=user_id)


def backup_codes_generated(user_id: str, count: int, actor: Actor | None) -> Envelope:
    payload = mfa_pb2.BackupCodesGenerated(user_id=user_id, count=count)
    return build_envelope(BACKUP_CODES_GENERATED, payload, actor=actor, user_id=user_id)


def trusted_devices_revoked(user_id: str, reason: str, count: int, actor: Actor | None) -> Envelope:
    payload = mfa_pb2.TrustedDevicesRevoked(user_id=user_id, reason=reason, count=count)
    return build_envelope(TRUSTED_DEVICES_REVOKED, payload, actor=actor, user_id=user_id)
