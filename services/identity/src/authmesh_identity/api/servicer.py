"""The identity.v1 gRPC servicer: decode, call one use case, encode."""

from typing import Any

from grpc.aio import ServicerContext

from authmesh.identity.v1 import identity_pb2, identity_pb2_grpc
from authmesh_identity.api.mappers import user_to_proto
from authmesh_identity.domain.errors import user_not_found
from authmesh_identity.domain.passwords import PasswordHasher, PasswordPolicy
from authmesh_identity.domain.ports import UserStore
from authmesh_identity.domain.use_cases.assert_can_sign_in import assert_can_sign_in
from authmesh_identity.domain.use_cases.sign_up import sign_up_with_email
from authmesh_identity.domain.use_cases.verify_password import verify_password
from authmesh_kit.grpc.server import Registration

GATEWAY = frozenset({"gateway"})

ALLOWED_CALLERS = {
    "SignUpWithEmail": GATEWAY,
    "VerifyPassword": GATEWAY,
    "AssertCanSignIn": GATEWAY,
    "GetUser": frozenset({"gateway", "session"}),
}


class IdentityServicer(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(self, store: UserStore, hasher: PasswordHasher, policy: PasswordPolicy) -> None:
        self._store = store
        self._hasher = hasher
        self._policy = policy

    async def SignUpWithEmail(
        self, request: identity_pb2.SignUpWithEmailRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.SignUpWithEmailResponse:
        user = await sign_up_with_email(
            self._store,
            self._hasher,
            self._policy,
            name=request.name,
            email=request.email,
            password=request.password,
            image=request.image if request.HasField("image") else None,
            actor=request.actor if request.HasField("actor") else None,
        )
        return identity_pb2.SignUpWithEmailResponse(user=user_to_proto(user))

    async def VerifyPassword(
        self, request: identity_pb2.VerifyPasswordRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.VerifyPasswordResponse:
        user = await verify_password(
            self._store,
            self._hasher,
            self._policy,
            email=request.email,
            password=request.password,
            actor=request.actor if request.HasField("actor") else None,
        )
        return identity_pb2.VerifyPasswordResponse(user=user_to_proto(user))

    async def AssertCanSignIn(
        self, request: identity_pb2.AssertCanSignInRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.AssertCanSignInResponse:
        user = await assert_can_sign_in(self._store, user_id=request.user_id)
        return identity_pb2.AssertCanSignInResponse(user=user_to_proto(user))

    async def GetUser(
        self, request: identity_pb2.GetUserRequest, context: ServicerContext[Any, Any]
    ) -> identity_pb2.GetUserResponse:
        user = await self._store.get(request.user_id)
        if user is None:
            raise user_not_found()
        return identity_pb2.GetUserResponse(user=user_to_proto(user))


def registration(servicer: IdentityServicer) -> Registration:
    return Registration(
        service_name="authmesh.identity.v1.IdentityService",
        add_to_server=identity_pb2_grpc.add_IdentityServiceServicer_to_server,
        servicer=servicer,
        allowed_callers=ALLOWED_CALLERS,
    )
