"""Typed calls to the identity service."""

from collections.abc import Sequence

from google.protobuf import timestamp_pb2

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
        username: str | None,
        display_username: str | None,
        callback_url: str | None,
        actor: envelope_pb2.Actor,
    ) -> identity_pb2.SignUpWithEmailResponse:
        request = identity_pb2.SignUpWithEmailRequest(
            name=name,
            email=email,
            password=password,
            image=image,
            username=username,
            display_username=display_username,
            callback_url=callback_url,
            actor=actor,
        )
        return await self._channel.call(
            self._stub.SignUpWithEmail, request, timeout_s=_HASHING_TIMEOUT_S
        )

    async def verify_password(
        self,
        *,
        password: str,
        callback_url: str | None,
        actor: envelope_pb2.Actor,
        email: str = "",
        username: str | None = None,
        phone_number: str | None = None,
    ) -> identity_pb2.VerifyPasswordResponse:
        """The account is named by `email`, unless `username` or `phone_number` is given; the
        user, and whether the password is on identity's blocklist (a signal for risk)."""
        request = identity_pb2.VerifyPasswordRequest(
            email=email,
            username=username,
            phone_number=phone_number,
            password=password,
            callback_url=callback_url,
            actor=actor,
        )
        response: identity_pb2.VerifyPasswordResponse = await self._channel.call(
            self._stub.VerifyPassword, request, timeout_s=_HASHING_TIMEOUT_S
        )
        return response

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

    async def lookup_users(
        self, *, user_ids: Sequence[str] = (), emails: Sequence[str] = ()
    ) -> list[identity_pb2.User]:
        """The users of `user_ids` and `emails` (unknown ones left out), in one call."""
        if not user_ids and not emails:
            return []
        request = identity_pb2.LookupUsersRequest(user_ids=user_ids, emails=emails)
        return list((await self._channel.call(self._stub.LookupUsers, request)).users)

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
        self, *, token: str, session_user_id: str, actor: envelope_pb2.Actor
    ) -> identity_pb2.VerifyEmailResponse:
        request = identity_pb2.VerifyEmailRequest(
            token=token, session_user_id=session_user_id, actor=actor
        )
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
        username: str | None,
        clear_username: bool,
        display_username: str | None,
        clear_display_username: bool,
        clear_phone_number: bool,
        actor: envelope_pb2.Actor,
    ) -> identity_pb2.User:
        """Each `clear_*` empties its field; a value left None keeps it."""
        request = identity_pb2.UpdateUserRequest(
            user_id=user_id,
            name=name,
            image=image,
            clear_image=clear_image,
            username=username,
            clear_username=clear_username,
            display_username=display_username,
            clear_display_username=clear_display_username,
            clear_phone_number=clear_phone_number,
            actor=actor,
        )
        user: identity_pb2.User = (await self._channel.call(self._stub.UpdateUser, request)).user
        return user

    async def change_email(
        self,
        *,
        user_id: str,
        new_email: str,
        callback_url: str | None,
        actor: envelope_pb2.Actor,
    ) -> None:
        request = identity_pb2.ChangeEmailRequest(
            user_id=user_id, new_email=new_email, callback_url=callback_url, actor=actor
        )
        await self._channel.call(self._stub.ChangeEmail, request)

    async def delete_user(
        self,
        *,
        user_id: str,
        password: str | None,
        token: str | None,
        session_fresh: bool,
        callback_url: str | None,
        actor: envelope_pb2.Actor,
    ) -> bool:
        """True when the user is gone; False when a delete-account link was mailed instead."""
        request = identity_pb2.DeleteUserRequest(
            user_id=user_id,
            password=password,
            token=token,
            session_fresh=session_fresh,
            callback_url=callback_url,
            actor=actor,
        )
        response = await self._channel.call(
            self._stub.DeleteUser, request, timeout_s=_HASHING_TIMEOUT_S
        )
        deleted: bool = response.deleted
        return deleted

    async def is_username_available(self, username: str) -> bool:
        request = identity_pb2.IsUsernameAvailableRequest(username=username)
        response = await self._channel.call(self._stub.IsUsernameAvailable, request)
        available: bool = response.available
        return available

    async def send_phone_number_code(self, *, phone_number: str, actor: envelope_pb2.Actor) -> None:
        request = identity_pb2.SendPhoneNumberCodeRequest(phone_number=phone_number, actor=actor)
        await self._channel.call(self._stub.SendPhoneNumberCode, request)

    async def verify_phone_number(
        self,
        *,
        phone_number: str,
        code: str,
        update_phone_number: bool,
        session_user_id: str,
        actor: envelope_pb2.Actor,
    ) -> identity_pb2.User:
        request = identity_pb2.VerifyPhoneNumberRequest(
            phone_number=phone_number,
            code=code,
            update_phone_number=update_phone_number,
            session_user_id=session_user_id,
            actor=actor,
        )
        user: identity_pb2.User = (
            await self._channel.call(self._stub.VerifyPhoneNumber, request)
        ).user
        return user

    async def request_phone_password_reset(
        self, *, phone_number: str, actor: envelope_pb2.Actor
    ) -> None:
        request = identity_pb2.RequestPhonePasswordResetRequest(
            phone_number=phone_number, actor=actor
        )
        await self._channel.call(self._stub.RequestPhonePasswordReset, request)

    async def reset_password_by_phone(
        self, *, phone_number: str, code: str, new_password: str, actor: envelope_pb2.Actor
    ) -> str:
        request = identity_pb2.ResetPasswordByPhoneRequest(
            phone_number=phone_number, code=code, new_password=new_password, actor=actor
        )
        response = await self._channel.call(
            self._stub.ResetPasswordByPhone, request, timeout_s=_HASHING_TIMEOUT_S
        )
        user_id: str = response.user_id
        return user_id

    async def set_two_factor_enabled(
        self, *, user_id: str, enabled: bool, changed_at: timestamp_pb2.Timestamp
    ) -> identity_pb2.User:
        """Sets `twoFactorEnabled` as mfa changed it (`changed_at` orders the changes)."""
        request = identity_pb2.SetTwoFactorEnabledRequest(
            user_id=user_id, enabled=enabled, changed_at=changed_at
        )
        user: identity_pb2.User = (
            await self._channel.call(self._stub.SetTwoFactorEnabled, request)
        ).user
        return user
