"""POST /sign-up/email and /sign-in/email (api.md §9.1)."""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh_gateway.context import context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import actor_of, json_response, read_body
from authmesh_gateway.serialize import user_json
from authmesh_gateway.sessions.cookies import set_session_cookies
from authmesh_gateway.sessions.issue import issue_session
from authmesh_gateway.wire.body import FORM_OR_JSON
from authmesh_gateway.wire.schemas import SIGN_IN_EMAIL, SIGN_UP_EMAIL
from authmesh_gateway.wire.validation import validate_body
from authmesh_kit.errors import DomainError

router = APIRouter()


@router.post("/sign-up/email")
async def sign_up_email(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx, FORM_OR_JSON), SIGN_UP_EMAIL)
    actor = actor_of(request, ctx)
    try:
        user = await ctx.identity.sign_up_with_email(
            name=body["name"],
            email=body["email"],
            password=body["password"],
            image=body.get("image"),
            actor=actor,
        )
        dont_remember = body.get("rememberMe") is False
        issued = await issue_session(
            ctx, user_id=user.id, method="sign-up", dont_remember=dont_remember, actor=actor
        )
    except DomainError as error:
        raise api_error(error) from None
    response = json_response({"token": issued.session.token, "user": user_json(issued.user)})
    set_session_cookies(response, ctx, issued.session.token, dont_remember)
    return response


@router.post("/sign-in/email")
async def sign_in_email(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx, FORM_OR_JSON), SIGN_IN_EMAIL)
    actor = actor_of(request, ctx)
    try:
        user = await ctx.identity.verify_password(
            email=body["email"], password=body["password"], actor=actor
        )
        dont_remember = body.get("rememberMe") is False
        issued = await issue_session(
            ctx, user_id=user.id, method="email", dont_remember=dont_remember, actor=actor
        )
    except DomainError as error:
        raise api_error(error) from None
    callback_url = body.get("callbackURL")
    answer: dict[str, Any] = {"redirect": bool(callback_url), "token": issued.session.token}
    if callback_url:
        answer["url"] = callback_url
    answer["user"] = user_json(issued.user)
    response = json_response(answer, headers={"Location": callback_url} if callback_url else None)
    set_session_cookies(response, ctx, issued.session.token, dont_remember)
    return response
