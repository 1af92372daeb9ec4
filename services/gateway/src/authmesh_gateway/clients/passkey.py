"""Typed calls to mfa's PasskeyService (passkey.proto), over the mfa channel."""

from authmesh.events.v1 import envelope_pb2
from authmesh.mfa.v1 import passkey_pb2, passkey_pb2_grpc
from authmesh_kit.grpc.client import ServiceChannel


class PasskeyClient:
    def __init__(self, channel: ServiceChannel) -> None:
        self._channel = channel
        self._stub = passkey_pb2_grpc.PasskeyServiceStub(channel.channel)

    async def start_registration(self, *, user_id: str) -> passkey_pb2.RegistrationChallenge:
        request = passkey_pb2.StartRegistrationRequest(user_id=user_id)
        return await self._channel.call(self._stub.StartRegistration, request)

    async def finish_registration(
        self,
        *,
        challenge_id: str,
        user_id: str,
        response_json: str,
        name: str | None,
        actor: envelope_pb2.Actor,
    ) -> passkey_pb2.Passkey:
        request = passkey_pb2.FinishRegistrationRequest(
            challenge_id=challenge_id,
            user_id=user_id,
            response_json=response_json,
            name=name,
            actor=actor,
        )
        return await self._channel.call(self._stub.FinishRegistration, request)

    async def start_authentication(
        self, *, user_id: str | None
    ) -> passkey_pb2.AuthenticationChallenge:
        request = passkey_pb2.StartAuthenticationRequest(user_id=user_id)
        return await self._channel.call(self._stub.StartAuthentication, request)

    async def finish_authentication(
        self, *, challenge_id: str, response_json: str, actor: envelope_pb2.Actor
    ) -> passkey_pb2.PasskeyAuthentication:
        request = passkey_pb2.FinishAuthenticationRequest(
            challenge_id=challenge_id, response_json=response_json, actor=actor
        )
        return await self._channel.call(self._stub.FinishAuthentication, request)

    async def list_passkeys(self, *, user_id: str) -> list[passkey_pb2.Passkey]:
        request = passkey_pb2.ListPasskeysRequest(user_id=user_id)
        response = await self._channel.call(self._stub.ListPasskeys, request)
        return list(response.passkeys)

    async def rename_passkey(
        self, *, user_id: str, passkey_id: str, name: str, actor: envelope_pb2.Actor
    ) -> passkey_pb2.Passkey:
        request = passkey_pb2.RenamePasskeyRequest(
            user_id=user_id, passkey_id=passkey_id, name=name, actor=actor
        )
        return await self._channel.call(self._stub.RenamePasskey, request)

    async def delete_passkey(
        self, *, user_id: str, passkey_id: str, actor: envelope_pb2.Actor
    ) -> None:
        request = passkey_pb2.DeletePasskeyRequest(
            user_id=user_id, passkey_id=passkey_id, actor=actor
        )
        await self._channel.call(self._stub.DeletePasskey, request)
