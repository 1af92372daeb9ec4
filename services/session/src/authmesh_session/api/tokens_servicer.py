"""The session.v1 TokenService servicer: JWTs, their public keys and session-token validation
for other backends (proto/authmesh/session/v1/tokens.proto)."""

from datetime import UTC, datetime
from typing import Any

from google.protobuf import timestamp_pb2
from grpc.aio import ServicerContext

from authmesh.session.v1 import tokens_pb2, tokens_pb2_grpc
from authmesh_kit.grpc.server import Registration
from authmesh_session.api.mappers import checked_token, session_to_proto
from authmesh_session.api.servicer import GATEWAY
from authmesh_session.domain.key_set import KeySet
from authmesh_session.domain.model import SessionLifetimes
from authmesh_session.domain.ports import SessionStore
from authmesh_session.domain.signing_keys import JwtPolicy
from authmesh_session.domain.use_cases.get_session import get_session
from authmesh_session.domain.use_cases.issue_token import issue_token


class TokenServicer(tokens_pb2_grpc.TokenServiceServicer):
    def __init__(
        self, store: SessionStore, lifetimes: SessionLifetimes, keys: KeySet, policy: JwtPolicy
    ) -> None:
        self._store = store
        self._lifetimes = lifetimes
        self._keys = keys
        self._policy = policy

    async def IssueToken(
        self, request: tokens_pb2.IssueTokenRequest, context: ServicerContext[Any, Any]
    ) -> tokens_pb2.IssueTokenResponse:
        token, expires_at = await issue_token(
            self._store,
            self._lifetimes,
            self._keys,
            self._policy,
            token=checked_token(request.session_token),
            user_json=request.user_json,
        )
        stamp = timestamp_pb2.Timestamp()
        stamp.FromDatetime(expires_at)
        return tokens_pb2.IssueTokenResponse(token=token, expires_at=stamp)

    async def ValidateSession(
        self, request: tokens_pb2.ValidateSessionRequest, context: ServicerContext[Any, Any]
    ) -> tokens_pb2.ValidateSessionResponse:
        session, _ = await get_session(
            self._store,
            self._lifetimes,
            token=checked_token(request.token),
            disable_refresh=True,
        )
        return tokens_pb2.ValidateSessionResponse(session=session_to_proto(session, ""))

    async def GetJwks(
        self, request: tokens_pb2.GetJwksRequest, context: ServicerContext[Any, Any]
    ) -> tokens_pb2.GetJwksResponse:
        keys = await self._keys.published(datetime.now(UTC))
        return tokens_pb2.GetJwksResponse(keys=[tokens_pb2.Jwk(**key.public_jwk()) for key in keys])


def token_registration(servicer: TokenServicer, callers: frozenset[str]) -> Registration:
    """`callers`: who may validate session tokens and read the JWKS; only the gateway gets
    JWTs signed."""
    return Registration(
        service_name="authmesh.session.v1.TokenService",
        add_to_server=tokens_pb2_grpc.add_TokenServiceServicer_to_server,
        servicer=servicer,
        allowed_callers={
            "IssueToken": GATEWAY,
            "ValidateSession": callers,
            "GetJwks": callers,
        },
    )
