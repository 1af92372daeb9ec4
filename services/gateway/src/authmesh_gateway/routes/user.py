"""POST /update-user (api.md §9.1): a user's name and image, its usernames (§9.6), and
dropping its phone number (§9.7).

Better-Auth's checks in its order: `email` (EMAIL_CAN_NOT_BE_UPDATED), then the protected
plugin fields (FIELD_NOT_ALLOWED, DESIGN §4), then the phone number, which only its own
verification may set (`null` drops it). Unknown keys are ignored, as Better-Auth does.
"""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh_gateway.context import context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import actor_of, json_response, read_body
from authmesh_gateway.sessions.cookies import renew_cookie_cache, session_answer
from authmesh_gateway.sessions.current import require_session
from authmesh_gateway.wire.body import MISSING
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.js import truthy
from authmesh_gateway.wire.schemas import (
    NOT_UPDATABLE_USER_FIELDS,
    UPDATE_USER,
    UPDATE_USER_FIELDS,
)
from authmesh_gateway.wire.validation import validate_body
from authmesh_kit.errors import DomainError

router = APIRouter()

_UPDATABLE = ("name", "image", "username", "displayUsername", "phoneNumber")


def _check_fields(body: dict[str, Any]) -> None:
    if truthy(body.get("email")):
        raise ApiError.from_code(400, "EMAIL_CAN_NOT_BE_UPDATED")
    for key in NOT_UPDATABLE_USER_FIELDS:
        if truthy(body.get(key)):
            # Not the catalogue's message: Better-Auth names the field.
            raise ApiError(400, "FIELD_NOT_ALLOWED", f"{key} is not allowed to be set")
    if body.get("phoneNumber") is not None:
        raise ApiError.from_code(400, "PHONE_NUMBER_CANNOT_BE_UPDATED")


def _change(body: dict[str, Any], key: str) -> tuple[str | None, bool]:
    """A nullable field's new value and whether it is cleared: (None, False) keeps it."""
    value = body.get(key, MISSING)
    return (value if isinstance(value, str) else None), value is None


@router.post("/update-user")
async def update_user(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx), UPDATE_USER)
    current = await require_session(request, ctx)
    _check_fields(body)
    validate_body(body, UPDATE_USER_FIELDS)
    if not any(key in body for key in _UPDATABLE):
        raise ApiError(400, None, "No fields to update")  # message only, as Better-Auth
    image, clear_image = _change(body, "image")
    username, clear_username = _change(body, "username")
    display_username, clear_display_username = _change(body, "displayUsername")
    actor = actor_of(request, ctx)
    actor.user_id = current.user.id
    try:
        updated = await ctx.identity.update_user(
            user_id=current.user.id,
            name=body.get("name"),
            image=image,
            clear_image=clear_image,
            username=username,
            clear_username=clear_username,
            display_username=display_username,
            clear_display_username=clear_display_username,
            clear_phone_number="phoneNumber" in body,  # only null gets this far
            actor=actor,
        )
    except DomainError as error:
        raise api_error(error) from None
    ctx.cache.evict_user(current.user.id)  # get-session must show the change at once
    response = json_response({"status": True})
    # Better-Auth re-sets the cookie cache, so apps reading session_data see the change too.
    renew_cookie_cache(
        response,
        ctx,
        request,
        token=current.token,
        session_and_user=session_answer(current.session, updated),
        dont_remember=current.session.dont_remember,
        authoritative=True,
    )
    return response
