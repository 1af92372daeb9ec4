"""Admin routes of the risk engine (Authmesh extras, beside Better-Auth's admin plugin):

- `GET /api/admin/risk/history?userId=…&limit=…&cursor=…`: the user's assessed sign-ins,
  newest first (score, decision, every factor, address, country, user agent, method), by
  cursor pages; admins who may list users (`user:list`);
- `POST /api/admin/risk/unlock {"userId"}`: lifts identity's password throttle of the user
  (the account-wide lock after 100 consecutive failures and the delays of every address) and
  clears risk's failure counters; admins who may set passwords (`user:set-password`).
"""

from typing import Any

from fastapi import APIRouter, Request
from google.protobuf.json_format import MessageToDict
from starlette.responses import Response

from authmesh.risk.v1 import risk_pb2
from authmesh_gateway.context import context_of
from authmesh_gateway.http_io import json_response, read_body
from authmesh_gateway.routes.admin import admin_actor, admin_session, answered, refused, user_id_of
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.schemas import ADMIN_USER_ID
from authmesh_gateway.wire.validation import validate_body
from authmesh_kit.errors import DomainError

router = APIRouter()

_DECISIONS = {
    risk_pb2.DECISION_ALLOW: "allow",
    risk_pb2.DECISION_CHALLENGE: "challenge",
    risk_pb2.DECISION_DENY: "deny",
}
_MAX_CURSOR = 512
_MAX_USER_ID = 255


def _assessment_json(assessment: risk_pb2.Assessment) -> dict[str, Any]:
    return {
        "id": assessment.id,
        "userId": assessment.user_id,
        "createdAt": assessment.occurred_at.ToDatetime().isoformat(timespec="milliseconds") + "Z",
        "ipAddress": assessment.ip,
        "country": assessment.country or None,
        "userAgent": assessment.user_agent,
        "method": assessment.method,
        "score": assessment.score,
        "decision": _DECISIONS.get(assessment.decision, "allow"),
        "factors": [
            MessageToDict(factor, always_print_fields_with_no_presence=True)
            for factor in assessment.factors
        ],
    }


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return 20
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise ApiError.validation("[query.limit] Invalid input: expected an integer 1..100")
    return int(raw)


@router.get("/admin/risk/history")
async def risk_history(request: Request) -> Response:
    ctx = context_of(request)
    current = await admin_session(request, ctx)
    user_id = request.query_params.get("userId", "")
    cursor = request.query_params.get("cursor", "")
    try:
        if not user_id or len(user_id) > _MAX_USER_ID:
            raise ApiError.validation("[query.userId] Invalid input: expected string")
        if len(cursor) > _MAX_CURSOR:
            raise ApiError(400, "INVALID_CURSOR", "Invalid cursor")
        limit = _limit(request.query_params.get("limit"))
        if not await ctx.admin.check_permission(current.user.id, [("user", ["list"])]):
            raise ApiError.from_code(403, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS")
        page = await ctx.risk.list_assessments(user_id=user_id, limit=limit, cursor=cursor)
    except (DomainError, ApiError) as error:
        return refused(request, ctx, current, error)
    body = {
        "assessments": [_assessment_json(found) for found in page.assessments],
        "nextCursor": page.next_cursor or None,
    }
    return answered(request, ctx, current, json_response(body))


@router.post("/admin/risk/unlock")
async def unlock(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), ADMIN_USER_ID)
    current = await admin_session(request, ctx)
    actor = admin_actor(request, ctx, current)
    user_id = user_id_of(body)
    try:
        cleared = await ctx.admin.unlock_password_sign_in(
            admin_user_id=current.user.id, user_id=user_id, actor=actor
        )
        await ctx.risk.clear_failures(user_id=user_id, actor=actor)
    except DomainError as error:
        return refused(request, ctx, current, error)
    return answered(request, ctx, current, json_response({"success": True, "cleared": cleared}))
