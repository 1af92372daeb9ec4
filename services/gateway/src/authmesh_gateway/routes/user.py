"""POST /update-user (api.md §9.1): a user's name and image.

Better-Auth's checks in its order: `email` (EMAIL_CAN_NOT_BE_UPDATED), then the protected
plugin fields (FIELD_NOT_ALLOWED, DESIGN §4), then the phone number, which only its own
verification may set. Unknown keys are ignored, as Better-Auth does.
"""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh_gateway.context import context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import actor_of, json_response, read_body
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


def _check_fields(body: dict[str, Any]) -> None:
    if truthy(body.get("email")):
        raise ApiError.from_code(400, "EMAIL_CAN_NOT_BE_UPDATED")
    for key in NOT_UPDATABLE_USER_FIELDS:
        if truthy(body.get(key)):
            # Not the catalogue's message: Better-Auth names the field.
            raise ApiError(400, "FIELD_NOT_ALLOWED", f"{key} is not allowed to be set")
    if body.get("phoneNumber") is not None:
        raise ApiError.from_code(400, "PHONE_NUMBER_CANNOT_BE_SET")


@router.post("/update-user")
async def update_user(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx), UPDATE_USER)
    current = await require_session(request, ctx)
    _check_fields(body)
    validate_body(body, UPDATE_USER_FIELDS)
    name, image = body.get("name", MISSING), body.get("image", MISSING)
    if name is MISSING and image is MISSING and "phoneNumber" not in body:
        raise ApiError(400, None, "No fields to update")  # message only, as Better-Auth
    actor = actor_of(request, ctx)
    actor.user_id = current.user.id
    try:
        await ctx.identity.update_user(
            user_id=current.user.id,
            name=None if name is MISSING else name,
            image=image if isinstance(image, str) else None,
            clear_image=image is None,
            actor=actor,
        )
    except DomainError as error:
        raise api_error(error) from None
    ctx.cache.evict_user(current.user.id)  # get-session must show the change at once
    return json_response({"status": True})
