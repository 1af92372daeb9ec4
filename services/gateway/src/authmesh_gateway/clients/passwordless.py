"""Typed calls to identity's PasswordlessService (emailOTP and magicLink), over the identity
channel."""

from authmesh.events.v1 import envelope_pb2
from authmesh.identity.v1 import identity_pb2, passwordless_pb2, passwordless_pb2_grpc
from authmesh_kit.grpc.client import ServiceChannel

# A reset by code hashes the new password (~15 ms of CPU, queued under load).
_HASHING_TIMEOUT_S = 5.0


class PasswordlessClient:
    def __init__(self, channel: ServiceChannel) -> None:
        self._channel = channel
        self._stub = passwordless_pb2_grpc.PasswordlessServiceStub(channel.channel)

    async def send_email_otp(self, *, email: str, otp_type: str, actor: envelope_pb2.Actor) -> None:
        request = passwordless_pb2.SendEmailOtpRequest(email=email, otp_type=otp_type, actor=actor)
        await self._channel.call(self._stub.SendEmailOtp, request)

    async def sign_in_with_email_otp(
        self,
        *,
        email: str,
        otp: str,
        name: str | None,
        image: str | None,
        actor: envelope_pb2.Actor,
    ) -> passwordless_pb2.EmailProof:
        request = passwordless_pb2.SignInWithEmailOtpRequest(
            email=email, otp=otp, name=name, image=image, actor=actor
        )
        return await self._channel.call(self._stub.SignInWithEmailOtp, request)

    async def verify_email_with_otp(
        self, *, email: str, otp: str, actor: envelope_pb2.Actor
    ) -> identity_pb2.User:
        request = passwordless_pb2.VerifyEmailWithOtpRequest(email=email, otp=otp, actor=actor)
        user: identity_pb2.User = (
            await self._channel.call(self._stub.VerifyEmailWithOtp, request)
        ).user
        return user

    async def check_email_otp(
        self, *, email: str, otp_type: str, otp: str, actor: envelope_pb2.Actor
    ) -> None:
        request = passwordless_pb2.CheckEmailOtpRequest(
            email=email, otp_type=otp_type, otp=otp, actor=actor
        )
        await self._channel.call(self._stub.CheckEmailOtp, request)

    async def reset_password_with_email_otp(
        self, *, email: str, otp: str, new_password: str, actor: envelope_pb2.Actor
    ) -> str:
        request = passwordless_pb2.ResetPasswordWithEmailOtpRequest(
            email=email, otp=otp, new_password=new_password, actor=actor
        )
        response = await self._channel.call(
            self._stub.ResetPasswordWithEmailOtp, request, timeout_s=_HASHING_TIMEOUT_S
        )
        user_id: str = response.user_id
        return user_id

    async def send_magic_link(
        self,
        *,
        email: str,
        name: str | None,
        callback_url: str | None,
        new_user_callback_url: str | None,
        error_callback_url: str | None,
        actor: envelope_pb2.Actor,
    ) -> None:
        request = passwordless_pb2.SendMagicLinkRequest(
            email=email,
            name=name,
            callback_url=callback_url,
            new_user_callback_url=new_user_callback_url,
            error_callback_url=error_callback_url,
            actor=actor,
        )
        await self._channel.call(self._stub.SendMagicLink, request)

    async def verify_magic_link(
        self, *, token: str, actor: envelope_pb2.Actor
    ) -> passwordless_pb2.EmailProof:
        request = passwordless_pb2.VerifyMagicLinkRequest(token=token, actor=actor)
        return await self._channel.call(self._stub.VerifyMagicLink, request)
