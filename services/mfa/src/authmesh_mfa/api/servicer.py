"""The mfa.v1 TwoFactorService servicer (mfa.proto): decode, call one use case, encode."""

from datetime import datetime
from typing import Any

from google.protobuf import timestamp_pb2
from grpc.aio import ServicerContext

from authmesh.events.v1 import envelope_pb2
from authmesh.mfa.v1 import mfa_pb2, mfa_pb2_grpc
from authmesh_kit.crypto.key_ring import KeyRing
from authmesh_kit.errors import DomainError, ErrorKind
from authmesh_kit.grpc.server import Registration
from authmesh_mfa.domain.errors import DOMAIN
from authmesh_mfa.domain.model import FactorChange, IssuedTrustedDevice, Method, TwoFactorPolicy
from authmesh_mfa.domain.ports import TwoFactorUnitOfWork
from authmesh_mfa.domain.use_cases import (
    two_factor_enrollment,
    two_factor_sign_in,
    two_factor_verify,
)

GATEWAY = frozenset({"gateway"})
ALLOWED_CALLERS = {
    "EnrollTotp": GATEWAY,
    "EnableOtp": GATEWAY,
    "DisableTwoFactor": GATEWAY,
    "GetTotpUri": GATEWAY,
    "GenerateBackupCodes": GATEWAY,
    "StartChallenge": GATEWAY,
    "RotateTrustedDevice": GATEWAY,
    "SendOtp": GATEWAY,
    "Verify": GATEWAY,
}
_FACTORS = {
    mfa_pb2.FACTOR_TOTP: Method.TOTP,
    mfa_pb2.FACTOR_OTP: Method.OTP,
    mfa_pb2.FACTOR_BACKUP_CODE: Method.BACKUP_CODE,
}


def _actor(request: Any) -> envelope_pb2.Actor | None:
    actor: envelope_pb2.Actor = request.actor
    return actor if request.HasField("actor") else None


def _timestamp(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _change(change: FactorChange) -> mfa_pb2.FactorChange:
    return mfa_pb2.FactorChange(enabled=change.enabled, changed_at=_timestamp(change.changed_at))


def _device(device: IssuedTrustedDevice) -> mfa_pb2.TrustedDevice:
    return mfa_pb2.TrustedDevice(
        device_id=device.device_id, expires_at=_timestamp(device.expires_at)
    )


def _bad_request(message: str) -> DomainError:
    return DomainError(ErrorKind.INVALID_ARGUMENT, "BAD_REQUEST", DOMAIN, message)


def _verify_scope(scope: mfa_pb2.Scope) -> two_factor_verify.Scope:
    kind = scope.WhichOneof("kind")
    if kind == "challenge_id":
        return two_factor_verify.ChallengeScope(scope.challenge_id)
    if kind == "session":
        return two_factor_verify.SessionScope(scope.session.user_id, scope.session.session_id)
    raise _bad_request("scope is required")


class TwoFactorServicer(mfa_pb2_grpc.TwoFactorServiceServicer):
    def __init__(
        self, uow: TwoFactorUnitOfWork, key_ring: KeyRing, policy: TwoFactorPolicy
    ) -> None:
        self._uow = uow
        self._key_ring = key_ring
        self._policy = policy

    async def EnrollTotp(
        self, request: mfa_pb2.EnrollTotpRequest, context: ServicerContext[Any, Any]
    ) -> mfa_pb2.EnrollTotpResponse:
        uri, codes = await two_factor_enrollment.enroll_totp(
            self._uow,
            self._key_ring,
            self._policy,
            user_id=request.user_id,
            account_name=request.account_name,
            issuer=request.issuer if request.HasField("issuer") else None,
            actor=_actor(request),
        )
        return mfa_pb2.EnrollTotpResponse(totp_uri=uri, backup_codes=codes)

    async def EnableOtp(
        self, request: mfa_pb2.EnableOtpRequest, context: ServicerContext[Any, Any]
    ) -> mfa_pb2.FactorChange:
        change = await two_factor_enrollment.enable_otp(
            self._uow, user_id=request.user_id, actor=_actor(request)
        )
        return _change(change)

    async def DisableTwoFactor(
        self, request: mfa_pb2.DisableTwoFactorRequest, context: ServicerContext[Any, Any]
    ) -> mfa_pb2.FactorChange:
        change = await two_factor_enrollment.disable_two_factor(
            self._uow, user_id=request.user_id, actor=_actor(request)
        )
        return _change(change)

    async def GetTotpUri(
        self, request: mfa_pb2.GetTotpUriRequest, context: ServicerContext[Any, Any]
    ) -> mfa_pb2.GetTotpUriResponse:
        uri, verified = await two_factor_enrollment.get_totp_uri(
            self._uow,
            self._key_ring,
            self._policy,
            user_id=request.user_id,
            account_name=request.account_name,
        )
        return mfa_pb2.GetTotpUriResponse(totp_uri=uri, verified=verified)

    async def GenerateBackupCodes(
        self, request: mfa_pb2.GenerateBackupCodesRequest, context: ServicerContext[Any, Any]
    ) -> mfa_pb2.GenerateBackupCodesResponse:
        codes = await two_factor_enrollment.generate_backup_codes(
            self._uow, self._policy, user_id=request.user_id, actor=_actor(request)
        )
        return mfa_pb2.GenerateBackupCodesResponse(backup_codes=codes)

    async def StartChallenge(
        self, request: mfa_pb2.StartChallengeRequest, context: ServicerContext[Any, Any]
    ) -> mfa_pb2.StartChallengeResponse:
        started = await two_factor_sign_in.start_challenge(
            self._uow,
            self._policy,
            user_id=request.user_id,
            email=request.email,
            risk_challenge=request.risk_challenge,
            dont_remember=request.dont_remember,
            first_factor=request.first_factor,
        )
        return mfa_pb2.StartChallengeResponse(
            challenge_id=started.challenge_id,
            methods=started.methods,
            expires_at=_timestamp(started.expires_at),
        )

    async def RotateTrustedDevice(
        self, request: mfa_pb2.RotateTrustedDeviceRequest, context: ServicerContext[Any, Any]
    ) -> mfa_pb2.TrustedDevice:
        successor = await two_factor_sign_in.rotate_trusted_device(
            self._uow,
            self._policy,
            user_id=request.user_id,
            device_id=request.device_id,
            actor=_actor(request),
        )
        return _device(successor)

    async def SendOtp(
        self, request: mfa_pb2.SendOtpRequest, context: ServicerContext[Any, Any]
    ) -> mfa_pb2.SendOtpResponse:
        kind = request.scope.WhichOneof("kind")
        if kind == "challenge_id":
            await two_factor_sign_in.send_challenge_otp(
                self._uow, self._policy, challenge_id=request.scope.challenge_id
            )
        elif kind == "session":
            session = request.scope.session
            scope = two_factor_sign_in.SessionOtpScope(
                user_id=session.user_id, session_id=session.session_id, email=session.email
            )
            await two_factor_sign_in.send_session_otp(self._uow, self._policy, scope=scope)
        else:
            raise _bad_request("scope is required")
        return mfa_pb2.SendOtpResponse()

    async def Verify(
        self, request: mfa_pb2.VerifyRequest, context: ServicerContext[Any, Any]
    ) -> mfa_pb2.VerifyResponse:
        factor = _FACTORS.get(request.factor)
        if factor is None:
            raise _bad_request("factor is required")
        verified = await two_factor_verify.verify(
            self._uow,
            self._key_ring,
            self._policy,
            scope=_verify_scope(request.scope),
            attempt=two_factor_verify.Attempt(
                factor=factor,
                code=request.code,
                trust_device=request.trust_device,
            ),
            actor=_actor(request),
        )
        response = mfa_pb2.VerifyResponse(
            user_id=verified.user_id, dont_remember=verified.dont_remember
        )
        if verified.trusted_device is not None:
            response.trusted_device.CopyFrom(_device(verified.trusted_device))
        if verified.enabled is not None:
            response.enabled.CopyFrom(_change(verified.enabled))
        return response


def registration(servicer: TwoFactorServicer) -> Registration:
    return Registration(
        service_name="authmesh.mfa.v1.TwoFactorService",
        add_to_server=mfa_pb2_grpc.add_TwoFactorServiceServicer_to_server,
        servicer=servicer,
        allowed_callers=ALLOWED_CALLERS,
    )
