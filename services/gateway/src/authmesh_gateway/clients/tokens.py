"""Typed calls to the session service's TokenService: JWTs and their public keys."""

from dataclasses import dataclass

from authmesh.session.v1 import tokens_pb2, tokens_pb2_grpc
from authmesh_kit.grpc.client import ServiceChannel


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: float  # epoch seconds


class TokenClient:
    def __init__(self, channel: ServiceChannel) -> None:
        self._channel = channel
        self._stub = tokens_pb2_grpc.TokenServiceStub(channel.channel)

    async def issue(self, session_token: str, user_json: str) -> IssuedToken:
        request = tokens_pb2.IssueTokenRequest(session_token=session_token, user_json=user_json)
        response = await self._channel.call(self._stub.IssueToken, request)
        return IssuedToken(response.token, response.expires_at.ToMilliseconds() / 1000)

    async def jwks(self) -> list[tokens_pb2.Jwk]:
        response = await self._channel.call(self._stub.GetJwks, tokens_pb2.GetJwksRequest())
        return list(response.keys)
