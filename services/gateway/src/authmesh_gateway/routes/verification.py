"""POST /send-verification-email and GET /verify-email (api.md §9.1).

Identity owns the tokens; the gateway answers in Better-Auth's shapes and signs the user in
after a verification (autoSignInAfterVerification, the seed default). /verify-email also
confirms email changes (routes/account.py asks for them): then it answers with the user, as
Better-Auth does, and every session of the user goes, the caller's being replaced by a new one.
"""

from contextlib import nullcontext
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh.events.v1 import envelope_pb2
from authmesh.identity.v1 import identity_pb2
from authmesh_gateway.context import GatewayContext, context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import actor_of, json_response, read_body
from authmesh_gateway.redirects import append_query_params, redirect
from authmesh_gateway.security.csrf import check_callback_url
from authmesh_gateway.security.timing import answer_no_sooner_than
from authmesh_gateway.serialize import user_json
from authmesh_gateway.sessions.account_changes import revoke_and_reissue
from authmesh_gateway.sessions.cookies import set_session_cookies
from authmesh_gateway.sessions.current import CurrentSession, current_session
from authmesh_gateway.sessions.issue import issue_session
from authmesh_gateway.sessions.second_factor import SecondFactorRequired, set_challenge_cookies
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.query import query_object
from authmesh_gateway.wire.schemas import SEND_VERIFICATION_EMAIL, VERIFY_EMAIL_QUERY
from authmesh_gateway.wire.validation import validate_body
from authmesh_kit.errors import DomainError

router = APIRouter()

# Link failures of /verify-email, answered as 401 or as a redirect with `?error=`.
_LINK_ERRORS = frozenset({"INVALID_TOKEN", "TOKEN_EXPIRED", "USER_NOT_FOUND", "INVALID_USER"})


@router.post("/send-verification-email")
async def send_verification_email(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx), SEND_VERIFICATION_EMAIL)
    current = await current_session(request, ctx)
    # Without a session the answer must not tell whether a message was sent.
    async with answer_no_sooner_than() if current is None else nullcontext():
        try:
            await ctx.identity.send_verification_email(
                email=body["email"],
                callback_url=body.get("callbackURL"),
                user_id=current.user.id if current else "",
                actor=actor_of(request, ctx),
            )
        except DomainError as error:
            raise api_error(error) from None
    return json_response({"status": True})


def _link_failure(error: ApiError, callback_url: str | None) -> Response:
    """`redirectOnError`: back to the callback with `?error=<code>`, or the error itself."""
    if callback_url and error.code:
        target = append_query_params(callback_url, {"error": error.code})
        if target is not None:
            return redirect(target)
    raise error


async def _sign_in_after_verification(
    request: Request,
    ctx: GatewayContext,
    response: Response,
    current: CurrentSession | None,
    user: identity_pb2.User,
    actor: envelope_pb2.Actor,
) -> None:
    """A new session unless the caller is already signed in as this user; Better-Auth then
    re-sets the cookie of the current one instead. A user with a second factor gets the
    `two_factor` cookie instead of a session (unless AUTHMESH_TWO_FACTOR_ON_EMAIL_SIGN_IN is
    off): the answer is the same, and the client may finish the sign-in with the factor."""
    if current is not None and current.user.email == user.email:
        set_session_cookies(response, ctx, request=request, session=current.session, user=user)
        return
    issued = await issue_session(
        ctx,
        request=request,
        user_id=user.id,
        method="email-verification",
        dont_remember=False,
        actor=actor,
        ask_second_factor=ctx.settings.two_factor_on_email_sign_in,
    )
    if isinstance(issued, SecondFactorRequired):
        set_challenge_cookies(response, ctx, issued)
        return
    set_session_cookies(response, ctx, request=request, session=issued.session, user=issued.user)


@router.get("/verify-email")
async def verify_email(request: Request) -> Response:
    ctx = context_of(request)
    query = validate_body(
        query_object(request.query_params.multi_items()), VERIFY_EMAIL_QUERY, source="query"
    )
    token = str(query["token"])
    callback_url = query.get("callbackURL")
    check_callback_url(callback_url, "callbackURL", trusted=ctx.trusted_origins)
    callback = str(callback_url) if callback_url else None
    current = await current_session(request, ctx)
    actor = actor_of(request, ctx)
    try:
        verified = await ctx.identity.verify_email(
            token=token, session_user_id=current.user.id if current else "", actor=actor
        )
        user = verified.user
        ctx.cache.evict_user(user.id)  # cached answers still show the old address or state
        if verified.email_changed:
            answer = {"status": True, "user": user_json(user)}
            response = redirect(callback) if callback else json_response(answer)
            actor.user_id = user.id
            reissued = await revoke_and_reissue(
                ctx, user.id, current, reason="email-change", actor=actor
            )
            if reissued is not None:
                set_session_cookies(response, ctx, request=request, session=reissued, user=user)
            return response
        response = redirect(callback) if callback else json_response({"status": True, "user": None})
        if verified.newly_verified:
            await _sign_in_after_verification(request, ctx, response, current, user, actor)
    except DomainError as error:
        if error.reason in _LINK_ERRORS:
            return _link_failure(ApiError.from_code(401, error.reason), callback)
        if error.reason == "EMAIL_TAKEN":  # the new address was taken since the change was asked
            return _link_failure(api_error(error), callback)
        raise api_error(error) from None
    return response
