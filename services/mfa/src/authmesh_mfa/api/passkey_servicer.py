"""The mfa.v1 PasskeyService servicer (passkey.proto): decode, call one use case, encode."""

from typing import Any

from google.protobuf import timestamp_pb2
from grpc.aio import ServicerContext

from authmesh.events.v1 import envelope_pb2
from authmesh.mfa.v1 import passkey_pb2, passkey_pb2_grpc
from authmesh_kit.grpc.server import Registration
from authmesh_mfa.domain.passkey_ceremonies import ALGORITHMS
from authmesh_mfa.domain.passkeys import Passkey, PasskeyUnitOfWork, RelyingParty
from authmesh_mfa.domain.use_cases import (
    passkey_authentication,
    passkey_management,
    passkey_registration,
)

GATEWAY = frozenset({"gateway"})
ALLOWED_CALLERS = {
    "StartRegistration": GATEWAY,
    "FinishRegistration": GATEWAY,
    "StartAuthentication": GATEWAY,
    "FinishAuthentication": GATEWAY,
    "ListPasskeys": GATEWAY,
    "RenamePasskey": GATEWAY,
    "DeletePasskey": GATEWAY,
}
RESIDENT_KEY = "preferred"  # Better-Auth's: discoverable when the authenticator can


def passkey_to_proto(passkey: Passkey) -> passkey_pb2.Passkey:
    created_at = timestamp_pb2.Timestamp()
    created_at.FromDatetime(passkey.created_at)
    return passkey_pb2.Passkey(
        id=passkey.id,
        name=passkey.name,
        public_key=passkey.public_key,
        user_id=passkey.user_id,
        credential_id=passkey.credential_id,
        counter=passkey.counter,
        device_type=passkey.device_type,
        backed_up=passkey.backed_up,
        transports=passkey.transports,
        created_at=created_at,
        aaguid=passkey.aaguid,
    )


def _descriptors(passkeys: list[Passkey]) -> list[passkey_pb2.CredentialDescriptor]:
    return [
        passkey_pb2.CredentialDescriptor(id=passkey.credential_id, transports=passkey.transports)
        for passkey in passkeys
    ]


def _actor(request: Any) -> envelope_pb2.Actor | None:
    actor: envelope_pb2.Actor = request.actor
    return actor if request.HasField("actor") else None


class PasskeyServicer(passkey_pb2_grpc.PasskeyServiceServicer):
    def __init__(self, uow: PasskeyUnitOfWork, rp: RelyingParty) -> None:
        self._uow = uow
        self._rp = rp

    async def StartRegistration(
        self, request: passkey_pb2.StartRegistrationRequest, context: ServicerContext[Any, Any]
    ) -> passkey_pb2.RegistrationChallenge:
        rp = self._rp
        start = await passkey_registration.start_registration(
            self._uow, rp, user_id=request.user_id
        )
        return passkey_pb2.RegistrationChallenge(
            challenge_id=start.challenge_id,
            challenge=start.challenge,
            rp_id=rp.id,
            rp_name=rp.name,
            user_handle=start.user_handle,
            algorithms=[int(algorithm) for algorithm in ALGORITHMS],
            timeout_ms=rp.timeout_ms,
            exclude_credentials=_descriptors(start.excluded),
            resident_key=RESIDENT_KEY,
            user_verification=rp.user_verification,
            challenge_lifetime_s=int(rp.challenge_lifetime.total_seconds()),
        )

    async def FinishRegistration(
        self, request: passkey_pb2.FinishRegistrationRequest, context: ServicerContext[Any, Any]
    ) -> passkey_pb2.Passkey:
        passkey = await passkey_registration.finish_registration(
            self._uow,
            self._rp,
            challenge_id=request.challenge_id,
            user_id=request.user_id,
            response_json=request.response_json,
            name=request.name if request.HasField("name") else None,
            actor=_actor(request),
        )
        return passkey_to_proto(passkey)

    async def StartAuthentication(
        self, request: passkey_pb2.StartAuthenticationRequest, context: ServicerContext[Any, Any]
    ) -> passkey_pb2.AuthenticationChallenge:
        rp = self._rp
        start = await passkey_authentication.start_authentication(
            self._uow, rp, user_id=request.user_id if request.HasField("user_id") else None
        )
        return passkey_pb2.AuthenticationChallenge(
            challenge_id=start.challenge_id,
            challenge=start.challenge,
            rp_id=rp.id,
            timeout_ms=rp.timeout_ms,
            user_verification=rp.user_verification,
            allow_credentials=_descriptors(start.allowed),
            challenge_lifetime_s=int(rp.challenge_lifetime.total_seconds()),
        )

    async def FinishAuthentication(
        self, request: passkey_pb2.FinishAuthenticationRequest, context: ServicerContext[Any, Any]
    ) -> passkey_pb2.PasskeyAuthentication:
        sign_in = await passkey_authentication.finish_authentication(
            self._uow,
            self._rp,
            challenge_id=request.challenge_id,
            response_json=request.response_json,
            actor=_actor(request),
        )
        return passkey_pb2.PasskeyAuthentication(
            user_id=sign_in.passkey.user_id,
            passkey_id=sign_in.passkey.id,
            user_verified=sign_in.user_verified,
        )

    async def ListPasskeys(
        self, request: passkey_pb2.ListPasskeysRequest, context: ServicerContext[Any, Any]
    ) -> passkey_pb2.ListPasskeysResponse:
        passkeys = await passkey_management.list_passkeys(self._uow, user_id=request.user_id)
        return passkey_pb2.ListPasskeysResponse(passkeys=[passkey_to_proto(p) for p in passkeys])

    async def RenamePasskey(
        self, request: passkey_pb2.RenamePasskeyRequest, context: ServicerContext[Any, Any]
    ) -> passkey_pb2.Passkey:
        passkey = await passkey_management.rename_passkey(
            self._uow,
            user_id=request.user_id,
            passkey_id=request.passkey_id,
            name=request.name,
            actor=_actor(request),
        )
        return passkey_to_proto(passkey)

    async def DeletePasskey(
        self, request: passkey_pb2.DeletePasskeyRequest, context: ServicerContext[Any, Any]
    ) -> passkey_pb2.DeletePasskeyResponse:
        await passkey_management.delete_passkey(
            self._uow,
            user_id=request.user_id,
            passkey_id=request.passkey_id,
            actor=_actor(request),
        )
        return passkey_pb2.DeletePasskeyResponse()


def registration(servicer: PasskeyServicer) -> Registration:
    return Registration(
        service_name="authmesh.mfa.v1.PasskeyService",
        add_to_server=passkey_pb2_grpc.add_PasskeyServiceServicer_to_server,
        servicer=servicer,
        allowed_callers=ALLOWED_CALLERS,
    )
