"""The identity.v1 PasswordlessService servicer (emailOTP and magicLink): decode, call one use
case, encode."""

from typing import Any

from grpc.aio import ServicerContext

from authmesh.identity.v1 import passwordless_pb2, passwordless_pb2_grpc
from authmesh_identity.api.mappers import actor_of, optional_field, user_to_proto
from authmesh_identity.api.servicer import GATEWAY
from authmesh_identity.domain.model import AccountFlowPolicy, PasswordlessPolicy
from authmesh_identity.domain.passwords import PasswordHasher, PasswordPolicy
from authmesh_identity.domain.ports import UnitOfWork
from authmesh_identity.domain.use_cases import email_otp, magic_link
from authmesh_identity.domain.use_cases.email_proof import EmailProof
from authmesh_kit.grpc.server import Registration

ALLOWED_CALLERS = {
    "SendEmailOtp": GATEWAY,
    "SignInWithEmailOtp": GATEWAY,
    "VerifyEmailWithOtp": GATEWAY,
    "CheckEmailOtp": GATEWAY,
    "ResetPasswordWithEmailOtp": GATEWAY,
    "SendMagicLink": GATEWAY,
    "VerifyMagicLink": GATEWAY,
}


def _proof_to_proto(proof: EmailProof) -> passwordless_pb2.EmailProof:
    return passwordless_pb2.EmailProof(
        user=user_to_proto(proof.user),
        created=proof.created,
        unproven_access_revoked=proof.unproven_access_revoked,
    )


class PasswordlessServicer(passwordless_pb2_grpc.PasswordlessServiceServicer):
    def __init__(
        self,
        uow: UnitOfWork,
        hasher: PasswordHasher,
        password_policy: PasswordPolicy,
        flows: AccountFlowPolicy,
        policy: PasswordlessPolicy,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._password_policy = password_policy
        self._flows = flows
        self._policy = policy

    async def SendEmailOtp(
        self, request: passwordless_pb2.SendEmailOtpRequest, context: ServicerContext[Any, Any]
    ) -> passwordless_pb2.SendEmailOtpResponse:
        await email_otp.send_code(
            self._uow,
            self._policy,
            email=request.email,
            otp_type=request.otp_type,
            actor=actor_of(request),
        )
        return passwordless_pb2.SendEmailOtpResponse()

    async def SignInWithEmailOtp(
        self,
        request: passwordless_pb2.SignInWithEmailOtpRequest,
        context: ServicerContext[Any, Any],
    ) -> passwordless_pb2.EmailProof:
        proof = await email_otp.sign_in(
            self._uow,
            self._policy,
            email=request.email,
            otp=request.otp,
            name=optional_field(request, "name"),
            image=optional_field(request, "image"),
            actor=actor_of(request),
        )
        return _proof_to_proto(proof)

    async def VerifyEmailWithOtp(
        self,
        request: passwordless_pb2.VerifyEmailWithOtpRequest,
        context: ServicerContext[Any, Any],
    ) -> passwordless_pb2.VerifyEmailWithOtpResponse:
        user = await email_otp.verify_email(
            self._uow, self._policy, email=request.email, otp=request.otp, actor=actor_of(request)
        )
        return passwordless_pb2.VerifyEmailWithOtpResponse(user=user_to_proto(user))

    async def CheckEmailOtp(
        self, request: passwordless_pb2.CheckEmailOtpRequest, context: ServicerContext[Any, Any]
    ) -> passwordless_pb2.CheckEmailOtpResponse:
        await email_otp.check_code(
            self._uow,
            self._policy,
            email=request.email,
            otp_type=request.otp_type,
            otp=request.otp,
            actor=actor_of(request),
        )
        return passwordless_pb2.CheckEmailOtpResponse()

    async def ResetPasswordWithEmailOtp(
        self,
        request: passwordless_pb2.ResetPasswordWithEmailOtpRequest,
        context: ServicerContext[Any, Any],
    ) -> passwordless_pb2.ResetPasswordWithEmailOtpResponse:
        user_id = await email_otp.reset_password(
            self._uow,
            self._hasher,
            self._password_policy,
            self._policy,
            email=request.email,
            otp=request.otp,
            new_password=request.new_password,
            actor=actor_of(request),
        )
        return passwordless_pb2.ResetPasswordWithEmailOtpResponse(user_id=user_id)

    async def SendMagicLink(
        self, request: passwordless_pb2.SendMagicLinkRequest, context: ServicerContext[Any, Any]
    ) -> passwordless_pb2.SendMagicLinkResponse:
        await magic_link.send_magic_link(
            self._uow,
            self._flows,
            self._policy,
            email=request.email,
            name=optional_field(request, "name"),
            callback_url=optional_field(request, "callback_url"),
            new_user_callback_url=optional_field(request, "new_user_callback_url"),
            error_callback_url=optional_field(request, "error_callback_url"),
            actor=actor_of(request),
        )
        return passwordless_pb2.SendMagicLinkResponse()

    async def VerifyMagicLink(
        self, request: passwordless_pb2.VerifyMagicLinkRequest, context: ServicerContext[Any, Any]
    ) -> passwordless_pb2.EmailProof:
        proof = await magic_link.verify_magic_link(
            self._uow, self._policy, token=request.token, actor=actor_of(request)
        )
        return _proof_to_proto(proof)


def registration(servicer: PasswordlessServicer) -> Registration:
    return Registration(
        service_name="authmesh.identity.v1.PasswordlessService",
        add_to_server=passwordless_pb2_grpc.add_PasswordlessServiceServicer_to_server,
        servicer=servicer,
        allowed_callers=ALLOWED_CALLERS,
    )
