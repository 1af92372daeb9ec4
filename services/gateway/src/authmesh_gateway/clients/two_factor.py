"""Typed calls to mfa's TwoFactorService (mfa.proto), over the mfa channel."""

from authmesh.events.v1 import envelope_pb2
from authmesh.mfa.v1 import mfa_pb2, mfa_pb2_grpc
from authmesh_kit.grpc.client import ServiceChannel

TOTP = mfa_pb2.FACTOR_TOTP
OTP = mfa_pb2.FACTOR_OTP
BACKUP_CODE = mfa_pb2.FACTOR_BACKUP_CODE
# Backup codes are hashed with PBKDF2 (a few milliseconds of CPU, queued under load).
_HASHING_TIMEOUT_S = 5.0


def challenge_scope(challenge_id: str) -> mfa_pb2.Scope:
    return mfa_pb2.Scope(challenge_id=challenge_id)


def session_scope(*, user_id: str, session_id: str, email: str) -> mfa_pb2.Scope:
    return mfa_pb2.Scope(
        session=mfa_pb2.SessionScope(user_id=user_id, session_id=session_id, email=email)
    )


class TwoFactorClient:
    def __init__(self, channel: ServiceChannel) -> None:
        self._channel = channel
        self._stub = mfa_pb2_grpc.TwoFactorServiceStub(channel.channel)

    async def enroll_totp(
        self, *, user_id: str, account_name: str, issuer: str | None, actor: envelope_pb2.Actor
    ) -> mfa_pb2.EnrollTotpResponse:
        request = mfa_pb2.EnrollTotpRequest(
            user_id=user_id, account_name=account_name, issuer=issuer, actor=actor
        )
        return await self._channel.call(
            self._stub.EnrollTotp, request, timeout_s=_HASHING_TIMEOUT_S
        )

    async def enable_otp(self, *, user_id: str, actor: envelope_pb2.Actor) -> mfa_pb2.FactorChange:
        request = mfa_pb2.EnableOtpRequest(user_id=user_id, actor=actor)
        return await self._channel.call(self._stub.EnableOtp, request)

    async def disable(self, *, user_id: str, actor: envelope_pb2.Actor) -> mfa_pb2.FactorChange:
        request = mfa_pb2.DisableTwoFactorRequest(user_id=user_id, actor=actor)
        return await self._channel.call(self._stub.DisableTwoFactor, request)

    async def get_totp_uri(self, *, user_id: str, account_name: str) -> mfa_pb2.GetTotpUriResponse:
        request = mfa_pb2.GetTotpUriRequest(user_id=user_id, account_name=account_name)
        return await self._channel.call(self._stub.GetTotpUri, request)

    async def generate_backup_codes(self, *, user_id: str, actor: envelope_pb2.Actor) -> list[str]:
        request = mfa_pb2.GenerateBackupCodesRequest(user_id=user_id, actor=actor)
        response = await self._channel.call(
            self._stub.GenerateBackupCodes, request, timeout_s=_HASHING_TIMEOUT_S
        )
        return list(response.backup_codes)

    async def start_challenge(
        self,
        *,
        user_id: str,
        email: str,
        dont_remember: bool,
        first_factor: str,
        actor: envelope_pb2.Actor,
        risk_challenge: bool = False,
    ) -> mfa_pb2.StartChallengeResponse:
        request = mfa_pb2.StartChallengeRequest(
            user_id=user_id,
            email=email,
            dont_remember=dont_remember,
            first_factor=first_factor,
            actor=actor,
            risk_challenge=risk_challenge,
        )
        return await self._channel.call(self._stub.StartChallenge, request)

    async def rotate_trusted_device(
        self, *, user_id: str, device_id: str, actor: envelope_pb2.Actor
    ) -> mfa_pb2.TrustedDevice:
        request = mfa_pb2.RotateTrustedDeviceRequest(
            user_id=user_id, device_id=device_id, actor=actor
        )
        return await self._channel.call(self._stub.RotateTrustedDevice, request)

    async def send_otp(self, *, scope: mfa_pb2.Scope, actor: envelope_pb2.Actor) -> None:
        request = mfa_pb2.SendOtpRequest(scope=scope, actor=actor)
        await self._channel.call(self._stub.SendOtp, request)

    async def verify(
        self,
        *,
        scope: mfa_pb2.Scope,
        factor: "mfa_pb2.Factor.ValueType",
        code: str,
        trust_device: bool,
        actor: envelope_pb2.Actor,
    ) -> mfa_pb2.VerifyResponse:
        request = mfa_pb2.VerifyRequest(
            scope=scope, factor=factor, code=code, trust_device=trust_device, actor=actor
        )
        return await self._channel.call(self._stub.Verify, request, timeout_s=_HASHING_TIMEOUT_S)
