"""Typed calls to the session service."""

from authmesh.events.v1 import envelope_pb2
from authmesh.session.v1 import session_pb2, session_pb2_grpc
from authmesh_kit.grpc.client import ServiceChannel


class SessionClient:
    def __init__(self, channel: ServiceChannel) -> None:
        self._channel = channel
        self._stub = session_pb2_grpc.SessionServiceStub(channel.channel)

    async def create(
        self,
        *,
        user_id: str,
        ip_address: str,
        user_agent: str,
        dont_remember: bool,
        method: str,
        actor: envelope_pb2.Actor,
        impersonated_by: str | None = None,
        mfa_used: bool = False,
        risk: session_pb2.RiskOutcome | None = None,
    ) -> session_pb2.Session:
        """With `impersonated_by`, an admin's session as the user (session.proto); `mfa_used`
        when the sign-in passed a second factor and `risk` how risk scored it (both recorded
        in session.created)."""
        request = session_pb2.CreateSessionRequest(
            user_id=user_id,
            ip_address=ip_address,
            user_agent=user_agent,
            dont_remember=dont_remember,
            method=method,
            actor=actor,
            impersonated_by=impersonated_by,
            mfa_used=mfa_used,
            risk=risk,
        )
        session: session_pb2.Session = (
            await self._channel.call(self._stub.CreateSession, request)
        ).session
        return session

    async def get(self, token: str, *, disable_refresh: bool) -> session_pb2.GetSessionResponse:
        request = session_pb2.GetSessionRequest(token=token, disable_refresh=disable_refresh)
        return await self._channel.call(self._stub.GetSession, request)

    async def revoke(self, token: str, actor: envelope_pb2.Actor, reason: str = "") -> bool:
        request = session_pb2.RevokeSessionRequest(token=token, actor=actor, reason=reason)
        revoked: bool = (await self._channel.call(self._stub.RevokeSession, request)).revoked
        return revoked

    async def revoke_user_sessions(
        self,
        user_id: str,
        *,
        reason: str,
        actor: envelope_pb2.Actor,
        except_token: str | None = None,
    ) -> int:
        request = session_pb2.RevokeUserSessionsRequest(
            user_id=user_id, except_token=except_token, reason=reason, actor=actor
        )
        revoked: int = (await self._channel.call(self._stub.RevokeUserSessions, request)).revoked
        return revoked

    async def list_user_sessions(self, user_id: str) -> list[session_pb2.Session]:
        request = session_pb2.ListUserSessionsRequest(user_id=user_id)
        response = await self._channel.call(self._stub.ListUserSessions, request)
        return list(response.sessions)

    async def revoke_user_session(
        self, user_id: str, token_or_id: str, *, actor: envelope_pb2.Actor
    ) -> session_pb2.Session | None:
        """The revoked session, or None when the user had none by that token or id."""
        request = session_pb2.RevokeUserSessionRequest(
            user_id=user_id, token_or_id=token_or_id, reason="revoked", actor=actor
        )
        response = await self._channel.call(self._stub.RevokeUserSession, request)
        return response.revoked if response.HasField("revoked") else None

    async def revoke_any_session(
        self, token_or_id: str, *, actor: envelope_pb2.Actor
    ) -> session_pb2.Session | None:
        """Any user's session (an admin's revocation); None when none had that token or id."""
        request = session_pb2.RevokeAnySessionRequest(
            token_or_id=token_or_id, reason="revoked-by-admin", actor=actor
        )
        response = await self._channel.call(self._stub.RevokeAnySession, request)
        return response.revoked if response.HasField("revoked") else None

    async def set_active_organization(
        self,
        token: str,
        *,
        organization: session_pb2.ActiveChoice | None = None,
        team: session_pb2.ActiveChoice | None = None,
        actor: envelope_pb2.Actor,
    ) -> session_pb2.Session:
        """Sets the session's active organization and/or team (a choice left None is kept;
        `ActiveChoice()` without id clears it); the session as it now is."""
        request = session_pb2.SetActiveOrganizationRequest(
            token=token, organization=organization, team=team, actor=actor
        )
        response = await self._channel.call(self._stub.SetActiveOrganization, request)
        session: session_pb2.Session = response.session
        return session
