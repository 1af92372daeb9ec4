"""What every organization route shares (api.md §9.8): the caller's session, the active
organization default, the org service's reasons as Better-Auth answers, the cookie cache.

The org service does every authorization check (org.proto): the routes read the session,
validate the body as zod would, resolve Better-Auth's defaults (the session's active
organization), call one RPC and shape the answer. The session is read from the session service
(never from a cache), so the active organization a route acts on is the current one.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from authmesh.events.v1 import envelope_pb2
from authmesh.session.v1 import session_pb2
from authmesh_gateway.context import GatewayContext, context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import actor_of, error_response, json_response
from authmesh_gateway.sessions.cookies import (
    renew_cookie_cache,
    session_answer,
    set_session_cookies,
)
from authmesh_gateway.sessions.current import CurrentSession, current_session
from authmesh_gateway.wire.errors import UNAUTHORIZED, ApiError, message_for
from authmesh_kit.errors import DomainError

ORG_DOMAIN = "org"

# Better-Auth's status for each organization code where it is the same on every endpoint
# (better-auth 1.7.25 `plugins/organization/routes/*`); the rest are per endpoint (`Remap`).
_STATUS_OF_CODE: dict[str, int] = {
    **dict.fromkeys(
        (
            "CANNOT_DELETE_A_PRE_DEFINED_ROLE",
            "INVALID_RESOURCE",
            "INVALID_TEAM_ID",
            "INVITATION_NOT_FOUND",
            "INVITER_IS_NO_LONGER_A_MEMBER_OF_THE_ORGANIZATION",
            "MEMBER_NOT_FOUND",
            "NO_ACTIVE_ORGANIZATION",
            "ORGANIZATION_ALREADY_EXISTS",
            "ORGANIZATION_NOT_FOUND",
            "ORGANIZATION_SLUG_ALREADY_TAKEN",
            "ROLE_IS_ASSIGNED_TO_MEMBERS",
            "ROLE_NAME_IS_ALREADY_TAKEN",
            "ROLE_NOT_FOUND",
            "TEAM_ALREADY_EXISTS",
            "TEAM_NOT_FOUND",
            "TOO_MANY_ROLES",
            "UNABLE_TO_REMOVE_LAST_TEAM",
            "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION",
            "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION",
            "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION",
            "USER_IS_NOT_A_MEMBER_OF_THE_TEAM",
            "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER",
            "YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER",
            "YOU_DO_NOT_HAVE_AN_ACTIVE_TEAM",
            "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_TEAMS",
            "YOU_MUST_BE_IN_AN_ORGANIZATION_TO_CREATE_A_ROLE",
        ),
        400,
    ),
    **dict.fromkeys(
        (
            "EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION",
            "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION",
            "INVITATION_LIMIT_REACHED",
            "ORGANIZATION_MEMBERSHIP_LIMIT_REACHED",
            "TEAM_MEMBER_LIMIT_REACHED",
            "YOU_ARE_NOT_ALLOWED_TO_ACCESS_THIS_ORGANIZATION",
            "YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION",
            "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_ORGANIZATION",
            "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_TEAM",
            "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_TEAM_MEMBER",
            "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE",
            "YOU_ARE_NOT_ALLOWED_TO_CREATE_TEAMS_IN_THIS_ORGANIZATION",
            "YOU_ARE_NOT_ALLOWED_TO_DELETE_A_ROLE",
            "YOU_ARE_NOT_ALLOWED_TO_DELETE_TEAMS_IN_THIS_ORGANIZATION",
            "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION",
            "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_TEAM",
            "YOU_ARE_NOT_ALLOWED_TO_GET_A_ROLE",
            "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION",
            "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE",
            "YOU_ARE_NOT_ALLOWED_TO_LIST_A_ROLE",
            "YOU_ARE_NOT_ALLOWED_TO_LIST_INVITATIONS",
            "YOU_ARE_NOT_ALLOWED_TO_READ_A_ROLE",
            "YOU_ARE_NOT_ALLOWED_TO_REMOVE_A_TEAM_MEMBER",
            "YOU_ARE_NOT_ALLOWED_TO_UPDATE_A_ROLE",
            "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER",
            "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION",
            "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_TEAM",
            "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION",
            "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION",
            "YOU_CAN_NOT_ACCESS_THE_MEMBERS_OF_THIS_TEAM",
            "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS",
        ),
        403,
    ),
    # remove-member: Better-Auth's one 401 refusal of a permission.
    "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER": 401,
}

# How one endpoint answers a reason otherwise than `_STATUS_OF_CODE` says: reason → answer.
Remap = Mapping[str, ApiError]


def known(status: int, code: str) -> ApiError:
    return ApiError.from_code(status, code)


NOT_A_MEMBER_403 = {
    "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION": known(
        403, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"
    )
}
YOU_ARE_NOT_A_MEMBER_403 = {
    "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION": known(
        403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION"
    )
}
# The member endpoints look the actor's own membership up first and answer MEMBER_NOT_FOUND.
NOT_A_MEMBER_IS_MEMBER_NOT_FOUND = {
    "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION": known(400, "MEMBER_NOT_FOUND")
}


def org_api_error(error: DomainError, remap: Remap | None = None) -> ApiError:
    """The org service's refusal as Better-Auth answers it on this endpoint."""
    if error.domain != ORG_DOMAIN:
        return api_error(error)
    if remap and error.reason in remap:
        return remap[error.reason]
    status = _STATUS_OF_CODE.get(error.reason)
    if status is not None:
        # ROLE_NOT_FOUND names the unknown roles, as Better-Auth's does ("ROLE_NOT_FOUND: x").
        own = error.reason == "ROLE_NOT_FOUND" and error.message.startswith("ROLE_NOT_FOUND")
        return ApiError(status, error.reason, error.message if own else message_for(error.reason))
    if error.reason == "INVALID_EMAIL":
        return known(400, "INVALID_EMAIL")
    return api_error(error)


@dataclass(frozen=True)
class OrgCaller:
    """An organization request with its caller's session."""

    request: Request
    ctx: GatewayContext
    current: CurrentSession

    @property
    def user_id(self) -> str:
        return self.current.user.id

    @property
    def active_organization_id(self) -> str | None:
        session = self.current.session
        return (
            session.active_organization_id if session.HasField("active_organization_id") else None
        )

    @property
    def active_team_id(self) -> str | None:
        session = self.current.session
        return session.active_team_id if session.HasField("active_team_id") else None

    def actor(self) -> envelope_pb2.Actor:
        actor = actor_of(self.request, self.ctx)
        actor.user_id = self.user_id
        return actor

    def organization_id(self, given: object) -> str:
        """Better-Auth's `body.organizationId || session.activeOrganizationId`; 400
        NO_ACTIVE_ORGANIZATION with neither."""
        if isinstance(given, str) and given:
            return given
        active = self.active_organization_id
        if not active:
            raise known(400, "NO_ACTIVE_ORGANIZATION")
        return active

    def answer(self, value: Any) -> Response:
        """The JSON answer, with the cookie cache Better-Auth's session middleware writes."""
        return self._with_cookie_cache(json_response(value), self.current.session)

    def refuse(self, error: DomainError | ApiError, remap: Remap | None = None) -> Response:
        found = error if isinstance(error, ApiError) else org_api_error(error, remap)
        return self._with_cookie_cache(error_response(found), self.current.session)

    def _with_cookie_cache(self, response: Response, session: session_pb2.Session) -> Response:
        renew_cookie_cache(
            response,
            self.ctx,
            self.request,
            token=self.current.token,
            session_and_user=session_answer(session, self.current.user),
            dont_remember=session.dont_remember,
            authoritative=False,
        )
        return response

    async def set_active(
        self,
        *,
        organization: session_pb2.ActiveChoice | None = None,
        team: session_pb2.ActiveChoice | None = None,
    ) -> session_pb2.Session:
        """Stores the session's new active organization/team. This replica's cached
        get-session answer goes at once; auth.session.session.updated evicts the others'."""
        session = await self.ctx.session.set_active_organization(
            self.current.token, organization=organization, team=team, actor=self.actor()
        )
        self.ctx.cache.evict(hashlib.sha256(self.current.token.encode()).digest())
        return session

    def answer_with_session_cookies(self, value: Any, session: session_pb2.Session) -> Response:
        """set-active and set-active-team re-set the session cookies with the changed session
        (Better-Auth's `setSessionCookie`), so that `session_data` shows the new choice."""
        response = json_response(value)
        set_session_cookies(
            response, self.ctx, request=self.request, session=session, user=self.current.user
        )
        return response


def choice(value: str | None) -> session_pb2.ActiveChoice:
    """An active organization or team to store; None clears it."""
    return session_pb2.ActiveChoice(id=value) if value is not None else session_pb2.ActiveChoice()


async def org_caller(request: Request, *, unauthorized: ApiError | None = None) -> OrgCaller:
    """The caller's session, read from the session service; 401 without one (Better-Auth's
    `{"message":"Unauthorized","code":"UNAUTHORIZED"}` unless the endpoint answers
    `unauthorized`)."""
    ctx = context_of(request)
    current = await current_session(request, ctx)
    if current is None:
        raise unauthorized or UNAUTHORIZED.error()
    return OrgCaller(request, ctx, current)


def text(value: object) -> str | None:
    """A validated optional string field; None when absent or empty."""
    return value if isinstance(value, str) and value else None
