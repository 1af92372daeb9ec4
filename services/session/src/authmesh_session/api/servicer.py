"""The session.v1 gRPC servicer: decode, call one use case, encode."""

from typing import Any

from grpc.aio import ServicerContext

from authmesh.session.v1 import session_pb2, session_pb2_grpc
from authmesh_kit.grpc.server import Registration
from authmesh_session.api.mappers import checked_token, session_to_proto
from authmesh_session.domain.errors import invalid_user
from authmesh_session.domain.model import SessionLifetimes
from authmesh_session.domain.ports import SessionStore
from authmesh_session.domain.use_cases.create_session import create_session
from authmesh_session.domain.use_cases.get_session import get_session
from authmesh_session.domain.use_cases.list_user_sessions import list_user_sessions
from authmesh_session.domain.use_cases.revoke_session import revoke_session
from authmesh_session.domain.use_cases.revoke_user_session import (
    revoke_any_session,
    revoke_user_session,
)
from authmesh_session.domain.use_cases.revoke_user_sessions import revoke_user_sessions
from authmesh_session.domain.use_cases.set_active_organization import (
    ActiveChoice,
    set_active_organization,
)

GATEWAY = frozenset({"gateway"})

ALLOWED_CALLERS = {
    "CreateSession": GATEWAY,
    "GetSession": GATEWAY,
    "RevokeSession": GATEWAY,
    "RevokeUserSessions": GATEWAY,
    "ListUserSessions": GATEWAY,
    "RevokeUserSession": GATEWAY,
    "RevokeAnySession": GATEWAY,
    "SetActiveOrganization": GATEWAY,
}


class SessionServicer(session_pb2_grpc.SessionServiceServicer):
    def __init__(self, store: SessionStore, lifetimes: SessionLifetimes) -> None:
        self._store = store
        self._lifetimes = lifetimes

    async def CreateSession(
        self, request: session_pb2.CreateSessionRequest, context: ServicerContext[Any, Any]
    ) -> session_pb2.CreateSessionResponse:
        session, token = await create_session(
            self._store,
            self._lifetimes,
            user_id=request.user_id,
            ip_address=request.ip_address,
            user_agent=request.user_agent,
            dont_remember=request.dont_remember,
            method=request.method,
            mfa_used=request.mfa_used,
            actor=request.actor if request.HasField("actor") else None,
            impersonated_by=(
                request.impersonated_by if request.HasField("impersonated_by") else None
            ),
            risk=request.risk if request.HasField("risk") else None,
        )
        return session_pb2.CreateSessionResponse(session=session_to_proto(session, token))

    async def GetSession(
        self, request: session_pb2.GetSessionRequest, context: ServicerContext[Any, Any]
    ) -> session_pb2.GetSessionResponse:
        token = checked_token(request.token)
        session, refreshed = await get_session(
            self._store, self._lifetimes, token=token, disable_refresh=request.disable_refresh
        )
        return session_pb2.GetSessionResponse(
            session=session_to_proto(session, token), refreshed=refreshed
        )

    async def RevokeSession(
        self, request: session_pb2.RevokeSessionRequest, context: ServicerContext[Any, Any]
    ) -> session_pb2.RevokeSessionResponse:
        revoked = await revoke_session(
            self._store,
            token=checked_token(request.token),
            reason=request.reason or "sign-out",
            actor=request.actor if request.HasField("actor") else None,
        )
        return session_pb2.RevokeSessionResponse(revoked=revoked)

    async def RevokeUserSessions(
        self, request: session_pb2.RevokeUserSessionsRequest, context: ServicerContext[Any, Any]
    ) -> session_pb2.RevokeUserSessionsResponse:
        if not request.user_id:
            raise invalid_user()
        revoked = await revoke_user_sessions(
            self._store,
            user_id=request.user_id,
            except_token=(
                checked_token(request.except_token) if request.HasField("except_token") else None
            ),
            reason=request.reason or "revoked",
            actor=request.actor if request.HasField("actor") else None,
        )
        return session_pb2.RevokeUserSessionsResponse(revoked=revoked)

    async def ListUserSessions(
        self, request: session_pb2.ListUserSessionsRequest, context: ServicerContext[Any, Any]
    ) -> session_pb2.ListUserSessionsResponse:
        if not request.user_id:
            raise invalid_user()
        sessions = await list_user_sessions(self._store, user_id=request.user_id)
        return session_pb2.ListUserSessionsResponse(
            sessions=[session_to_proto(session, token="") for session in sessions]
        )

    async def RevokeUserSession(
        self, request: session_pb2.RevokeUserSessionRequest, context: ServicerContext[Any, Any]
    ) -> session_pb2.RevokeUserSessionResponse:
        if not request.user_id:
            raise invalid_user()
        revoked = await revoke_user_session(
            self._store,
            user_id=request.user_id,
            token_or_id=checked_token(request.token_or_id),
            reason=request.reason or "revoked",
            actor=request.actor if request.HasField("actor") else None,
        )
        if revoked is None:
            return session_pb2.RevokeUserSessionResponse()
        return session_pb2.RevokeUserSessionResponse(revoked=session_to_proto(revoked, token=""))

    async def RevokeAnySession(
        self, request: session_pb2.RevokeAnySessionRequest, context: ServicerContext[Any, Any]
    ) -> session_pb2.RevokeAnySessionResponse:
        revoked = await revoke_any_session(
            self._store,
            token_or_id=checked_token(request.token_or_id),
            reason=request.reason or "revoked",
            actor=request.actor if request.HasField("actor") else None,
        )
        if revoked is None:
            return session_pb2.RevokeAnySessionResponse()
        return session_pb2.RevokeAnySessionResponse(revoked=session_to_proto(revoked, token=""))

    async def SetActiveOrganization(
        self,
        request: session_pb2.SetActiveOrganizationRequest,
        context: ServicerContext[Any, Any],
    ) -> session_pb2.SetActiveOrganizationResponse:
        token = checked_token(request.token)
        session = await set_active_organization(
            self._store,
            token=token,
            organization=(
                _choice(request.organization) if request.HasField("organization") else None
            ),
            team=_choice(request.team) if request.HasField("team") else None,
            actor=request.actor if request.HasField("actor") else None,
        )
        return session_pb2.SetActiveOrganizationResponse(session=session_to_proto(session, token))


def _choice(choice: session_pb2.ActiveChoice) -> ActiveChoice:
    return ActiveChoice(choice.id if choice.HasField("id") else None)


def registration(servicer: SessionServicer) -> Registration:
    return Registration(
        service_name="authmesh.session.v1.SessionService",
        add_to_server=session_pb2_grpc.add_SessionServiceServicer_to_server,
        servicer=servicer,
        allowed_callers=ALLOWED_CALLERS,
    )
