"""Typed calls to the identity service."""

from authmesh.events.v1 import envelope_pb2
from authmesh.identity.v1 import identity_pb2, identity_pb2_grpc
from authmesh_kit.grpc.client import ServiceChannel

# Password hashing takes ~15 ms of CPU per request; under load it queues, so allow more time.
_HASHING_TIMEOUT_S = 5.0


class IdentityClient:
    def __init__(self, channel: ServiceChannel) -> None:
        self._channel = channel
        self._stub = identity_pb2_grpc.IdentityServiceStub(channel.channel)

    async def sign_up_with_email(
        self,
        *,
        name: str,
        email: str,
        password: str,
        image: str | None,
        callback_url: str | None,
        actor: envelope_pb2.Actor,
    ) -> identity_pb2.SignUpWithEmailResponse:
        request = identity_pb2.SignUpWithEmailRequest(
            name=name,
            email=email,
            password=password,
            image=image,
            callback_url=callback_url,
            actor=actor,
        )
        return await self._channel.call(
            self._stub.SignUpWithEmail, request, timeout_s=_HASHING_TIMEOUT_S
        )

    async def verify_password(
        self,
        *,
        email: str,
        password: str,
        callback_url: str | None,
        actor: envelope_pb2.Actor,
    ) -> identity_pb2.User:
        request = identity_pb2.VerifyPasswordRequest(
            email=email, password=password, callback_url=callback_url, actor=actor
        )
        response = await self._channel.call(
            self._stub.VerifyPassword, request, timeout_s=_HASHING_TIMEOUT_S
        )
        user: identity_pb2.User = response.user
        return user

    async def assert_can_sign_in(self, user_id: str) -> identity_pb2.User:
        request = identity_pb2.AssertCanSignInRequest(user_id=user_id)
        user: identity_pb2.User = (
            await self._channel.call(self._stub.AssertCanSignIn, request)
        ).user
        return user

    async def get_user(self, user_id: str) -> identity_pb2.User:
        request = identity_pb2.GetUserRequest(user_id=user_id)
        user: identity_pb2.User = (await self._channel.call(self._stub.GetUser, request)).user
        return user

    async def send_verification_email(
        self,
        *,
        email: str,
        callback_url: str | None,
        user_id: str,
        actor: envelope_pb2.Actor,
    ) -> None:
        request = identity_pb2.SendVerificationEmailRequest(
            email=email, callback_url=callback_url, user_id=user_id, actor=actor
        )
        await self._channel.call(self._stub.SendVerificationEmail, request)

    async def verify_email(
        self, *, token: str, actor: envelope_pb2.Actor
    ) -> identity_pb2.VerifyEmailResponse:
        request = identity_pb2.VerifyEmailRequest(token=token, actor=actor)
        return await self._channel.call(self._stub.VerifyEmail, request)

    async def request_password_reset(
        self, *, email: str, redirect_to: str | None, actor: envelope_pb2.Actor
    ) -> None:
        request = identity_pb2.RequestPasswordResetRequest(
            email=email, redirect_to=redirect_to, actor=actor
        )
        await self._channel.call(self._stub.RequestPasswordReset, request)

    async def check_password_reset_token(self, token: str) -> None:
        request = identity_pb2.CheckPasswordResetTokenRequest(token=token)
        await self._channel.call(self._stub.CheckPasswordResetToken, request)

    async def reset_password(
        self, *, token: str, new_password: str, actor: envelope_pb2.Actor
    ) -> str:
        request = identity_pb2.ResetPasswordRequest(
            token=token, new_password=new_password, actor=actor
        )
        response = await self._channel.call(
            self._stub.ResetPassword, request, timeout_s=_HASHING_TIMEOUT_S
        )
        user_id: str = response.user_id
        return user_id

    async def change_password(
        self,
        *,
        user_id: str,
        current_password: str,
        new_password: str,
        revoke_other_sessions: bool,
        actor: envelope_pb2.Actor,
    ) -> identity_pb2.User:
        request = identity_pb2.ChangePasswordRequest(
            user_id=user_id,
            current_password=current_password,
            new_password=new_password,
            revoke_other_sessions=revoke_other_sessions,
            actor=actor,
        )
        response = await self._channel.call(
            self._stub.ChangePassword, request, timeout_s=_HASHING_TIMEOUT_S
        )
        user: identity_pb2.User = response.user
        return user

    async def check_password(self, *, user_id: str, password: str) -> None:
        request = identity_pb2.CheckPasswordRequest(user_id=user_id, password=password)
        await self._channel.call(self._stub.CheckPassword, request, timeout_s=_HASHING_TIMEOUT_S)

    async def update_user(
        self,
        *,
        user_id: str,
        name: str | None,
        image: str | None,
        clear_image: bool,
        actor: envelope_pb2.Actor,
    ) -> identity_pb2.User:
        request = identity_pb2.UpdateUserRequest(
            user_id=user_id, name=name, image=image, clear_image=clear_image, actor=actor
        )
        user: identity_pb2.User = (await self._channel.call(self._stub.UpdateUser, request)).user
        return user
