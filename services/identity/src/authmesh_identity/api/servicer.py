"""The identity.v1 gRPC servicer: decode, call one use case, encode."""

from datetime import UTC
from typing import Any

from grpc.aio import ServicerContext

from authmesh.identity.v1 import identity_pb2, identity_pb2_grpc
from authmesh_identity.api.mappers import actor_of, optional_field, user_to_proto
from authmesh_identity.domain.admin_permissions import AdminPolicy
from authmesh_identity.domain.errors import user_not_found
from authmesh_identity.domain.model import AccountFlowPolicy, ProfileUpdate
from authmesh_identity.domain.passwords import PasswordHasher, PasswordPolicy
from authmesh_identity.domain.ports import UnitOfWork, UserStore
from authmesh_identity.domain.use_cases import (
    change_email,
    change_password,
    delete_user,
    email_verification,
    password_reset,
    phone_number,
    two_factor,
    update_user,
    username,
)
from authmesh_identity.domain.use_cases.assert_can_sign_in import assert_can_sign_in
from authmesh_identity.domain.use_cases.lookup_users import lookup_users
from authmesh_identity.domain.use_cases.sign_up import sign_up_with_email
from authmesh_identity.domain.use_cases.verify_password import Login, LoginKind, verify_password
from authmesh_kit.grpc.server import Registration

GATEWAY = frozenset({"gateway"})

ALLOWED_CALLERS = {
    "SignUpWithEmail": GATEWAY,
    "VerifyPassword": GATEWAY,
    "AssertCanSignIn": GATEWAY,
    "GetUser": frozenset({"gateway", "session"}),
    "SendVerificationEmail": GATEWAY,
    "VerifyEmail": GATEWAY,
    "RequestPasswordReset": GATEWAY,
    "CheckPasswordResetToken": GATEWAY,
    "ResetPassword": GATEWAY,
    "ChangePassword": GATEWAY,
    "CheckPassword": GATEWAY,
    "UpdateUser": GATEWAY,
    "IsUsernameAvailable": GATEWAY,
    "SendPhoneNumberCode": GATEWAY,
    "VerifyPhoneNumber": GATEWAY,
    "RequestPhonePasswordReset": GATEWAY,
    "ResetPasswordByPhone": GATEWAY,
    "ChangeEmail": GATEWAY,
    "DeleteUser": GATEWAY,
    "SetTwoFactorEnabled": GATEWAY,
    "LookupUsers": GATEWAY,
}


def _login(request: identity_pb2.VerifyPasswordRequest) -> Login:
    if request.HasField("username"):
        return Login(LoginKind.USERNAME, request.username)
    if request.HasField("phone_number"):
        return Login(LoginKind.PHONE_NUMBER, request.phone_number)
    return Login(LoginKind.EMAIL, request.email)


class IdentityServicer(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(
        self,
        store: UserStore,
        uow: UnitOfWork,
        hasher: PasswordHasher,
        policy: PasswordPolicy,
        flows: AccountFlowPolicy,
        admin: AdminPolicy,
    ) -> None:
        self._store = store
        self._uow = uow
        self._hasher = hasher
        self._policy = policy
        self._flows = flows
        self._admin = admin

    async def SignUpWithEmail(
        self, request: identity_pb2.SignUpWithEmailRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.SignUpWithEmailResponse:
        result = await sign_up_with_email(
            self._store,
            self._uow,
            self._hasher,
            self._policy,
            self._flows,
            name=request.name,
            email=request.email,
            password=request.password,
            image=optional_field(request, "image"),
            username=optional_field(request, "username"),
            display_username=optional_field(request, "display_username"),
            callback_url=optional_field(request, "callback_url"),
            actor=actor_of(request),
        )
        return identity_pb2.SignUpWithEmailResponse(
            user=user_to_proto(result.user), sign_in_allowed=result.sign_in_allowed
        )

    async def VerifyPassword(
        self, request: identity_pb2.VerifyPasswordRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.VerifyPasswordResponse:
        signed_in = await verify_password(
            self._store,
            self._uow,
            self._hasher,
            self._policy,
            self._flows,
            self._admin,
            login=_login(request),
            password=request.password,
            callback_url=optional_field(request, "callback_url"),
            actor=actor_of(request),
        )
        return identity_pb2.VerifyPasswordResponse(
            user=user_to_proto(signed_in.user), password_blocklisted=signed_in.password_blocklisted
        )

    async def AssertCanSignIn(
        self, request: identity_pb2.AssertCanSignInRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.AssertCanSignInResponse:
        user = await assert_can_sign_in(
            self._store, self._uow, self._admin, user_id=request.user_id
        )
        return identity_pb2.AssertCanSignInResponse(user=user_to_proto(user))

    async def GetUser(
        self, request: identity_pb2.GetUserRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.GetUserResponse:
        user = await self._store.get(request.user_id)
        if user is None:
            raise user_not_found()
        return identity_pb2.GetUserResponse(user=user_to_proto(user))

    async def LookupUsers(
        self, request: identity_pb2.LookupUsersRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.LookupUsersResponse:
        users = await lookup_users(
            self._store, user_ids=list(request.user_ids), emails=list(request.emails)
        )
        return identity_pb2.LookupUsersResponse(users=[user_to_proto(user) for user in users])

    async def SendVerificationEmail(
        self,
        request: identity_pb2.SendVerificationEmailRequest,
        context: ServicerContext[Any, Any],
    ) -> identity_pb2.SendVerificationEmailResponse:
        await email_verification.send_verification_email(
            self._uow,
            self._flows,
            email=request.email,
            callback_url=optional_field(request, "callback_url"),
            session_user_id=request.user_id,
            actor=actor_of(request),
        )
        return identity_pb2.SendVerificationEmailResponse()

    async def VerifyEmail(
        self, request: identity_pb2.VerifyEmailRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.VerifyEmailResponse:
        verified = await change_email.verify_email_link(
            self._uow,
            token=request.token,
            session_user_id=request.session_user_id,
            actor=actor_of(request),
        )
        return identity_pb2.VerifyEmailResponse(
            user=user_to_proto(verified.user),
            newly_verified=verified.newly_verified,
            email_changed=verified.email_changed,
        )

    async def RequestPasswordReset(
        self,
        request: identity_pb2.RequestPasswordResetRequest,
        context: ServicerContext[Any, Any],
    ) -> identity_pb2.RequestPasswordResetResponse:
        await password_reset.request_password_reset(
            self._uow,
            self._flows,
            email=request.email,
            redirect_to=optional_field(request, "redirect_to"),
            actor=actor_of(request),
        )
        return identity_pb2.RequestPasswordResetResponse()

    async def CheckPasswordResetToken(
        self,
        request: identity_pb2.CheckPasswordResetTokenRequest,
        context: ServicerContext[Any, Any],
    ) -> identity_pb2.CheckPasswordResetTokenResponse:
        await password_reset.check_reset_token(self._uow, token=request.token)
        return identity_pb2.CheckPasswordResetTokenResponse()

    async def ResetPassword(
        self, request: identity_pb2.ResetPasswordRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.ResetPasswordResponse:
        user_id = await password_reset.reset_password(
            self._uow,
            self._hasher,
            self._policy,
            token=request.token,
            new_password=request.new_password,
            actor=actor_of(request),
        )
        return identity_pb2.ResetPasswordResponse(user_id=user_id)

    async def ChangePassword(
        self, request: identity_pb2.ChangePasswordRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.ChangePasswordResponse:
        user = await change_password.change_password(
            self._uow,
            self._hasher,
            self._policy,
            user_id=request.user_id,
            current_password=request.current_password,
            new_password=request.new_password,
            revoke_other_sessions=request.revoke_other_sessions,
            actor=actor_of(request),
        )
        return identity_pb2.ChangePasswordResponse(user=user_to_proto(user))

    async def CheckPassword(
        self, request: identity_pb2.CheckPasswordRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.CheckPasswordResponse:
        await change_password.check_password(
            self._uow,
            self._hasher,
            self._policy,
            user_id=request.user_id,
            password=request.password,
        )
        return identity_pb2.CheckPasswordResponse()

    async def UpdateUser(
        self, request: identity_pb2.UpdateUserRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.UpdateUserResponse:
        update = ProfileUpdate(
            name=optional_field(request, "name"),
            image=optional_field(request, "image"),
            clear_image=request.clear_image,
            username=optional_field(request, "username"),
            clear_username=request.clear_username,
            display_username=optional_field(request, "display_username"),
            clear_display_username=request.clear_display_username,
            clear_phone_number=request.clear_phone_number,
        )
        user = await update_user.update_user(
            self._uow, user_id=request.user_id, update=update, actor=actor_of(request)
        )
        return identity_pb2.UpdateUserResponse(user=user_to_proto(user))

    async def IsUsernameAvailable(
        self, request: identity_pb2.IsUsernameAvailableRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.IsUsernameAvailableResponse:
        available = await username.is_username_available(self._store, username=request.username)
        return identity_pb2.IsUsernameAvailableResponse(available=available)

    async def SendPhoneNumberCode(
        self, request: identity_pb2.SendPhoneNumberCodeRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.SendPhoneNumberCodeResponse:
        await phone_number.send_verification_code(
            self._uow, phone_number=request.phone_number, actor=actor_of(request)
        )
        return identity_pb2.SendPhoneNumberCodeResponse()

    async def VerifyPhoneNumber(
        self, request: identity_pb2.VerifyPhoneNumberRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.VerifyPhoneNumberResponse:
        user = await phone_number.verify_phone_number(
            self._uow,
            self._flows,
            phone_number=request.phone_number,
            code=request.code,
            update_phone_number=request.update_phone_number,
            session_user_id=request.session_user_id,
            actor=actor_of(request),
        )
        return identity_pb2.VerifyPhoneNumberResponse(user=user_to_proto(user))

    async def RequestPhonePasswordReset(
        self,
        request: identity_pb2.RequestPhonePasswordResetRequest,
        context: ServicerContext[Any, Any],
    ) -> identity_pb2.RequestPhonePasswordResetResponse:
        await phone_number.request_password_reset(
            self._uow, phone_number=request.phone_number, actor=actor_of(request)
        )
        return identity_pb2.RequestPhonePasswordResetResponse()

    async def ResetPasswordByPhone(
        self, request: identity_pb2.ResetPasswordByPhoneRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.ResetPasswordByPhoneResponse:
        user_id = await phone_number.reset_password(
            self._uow,
            self._hasher,
            self._policy,
            self._flows,
            phone_number=request.phone_number,
            code=request.code,
            new_password=request.new_password,
            actor=actor_of(request),
        )
        return identity_pb2.ResetPasswordByPhoneResponse(user_id=user_id)

    async def ChangeEmail(
        self, request: identity_pb2.ChangeEmailRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.ChangeEmailResponse:
        await change_email.request_email_change(
            self._uow,
            self._flows,
            user_id=request.user_id,
            new_email=request.new_email,
            callback_url=optional_field(request, "callback_url"),
            actor=actor_of(request),
        )
        return identity_pb2.ChangeEmailResponse()

    async def DeleteUser(
        self, request: identity_pb2.DeleteUserRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.DeleteUserResponse:
        deleted = await delete_user.delete_user(
            self._uow,
            self._hasher,
            self._policy,
            self._flows,
            user_id=request.user_id,
            password=optional_field(request, "password"),
            token=optional_field(request, "token"),
            session_fresh=request.session_fresh,
            callback_url=optional_field(request, "callback_url"),
            actor=actor_of(request),
        )
        return identity_pb2.DeleteUserResponse(deleted=deleted)

    async def SetTwoFactorEnabled(
        self, request: identity_pb2.SetTwoFactorEnabledRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.SetTwoFactorEnabledResponse:
        user = await two_factor.set_two_factor_enabled(
            self._uow,
            user_id=request.user_id,
            enabled=request.enabled,
            changed_at=request.changed_at.ToDatetime(tzinfo=UTC),
        )
        return identity_pb2.SetTwoFactorEnabledResponse(user=user_to_proto(user))


def registration(servicer: IdentityServicer) -> Registration:
    return Registration(
        service_name="authmesh.identity.v1.IdentityService",
        add_to_server=identity_pb2_grpc.add_IdentityServiceServicer_to_server,
        servicer=servicer,
        allowed_callers=ALLOWED_CALLERS,
    )
