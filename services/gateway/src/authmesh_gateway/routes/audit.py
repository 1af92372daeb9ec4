"""The audit log over HTTP (Authmesh extras under /api, docs/audit.md).

Admins — users whom identity allows `user:list` (the admin role, AUTHMESH_ADMIN_USER_IDS) —
list entries with filters and a cursor (`GET /api/admin/audit`), export them streamed as NDJSON
or CSV (`GET /api/admin/audit/export`) and check the hash chain (`POST /api/admin/audit/verify`).
Every signed-in user reads their own security activity (`GET /api/me/security-activity`). The
live feeds over WebSocket are routes/audit_feed.py.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from google.protobuf import timestamp_pb2
from starlette.datastructures import QueryParams
from starlette.responses import Response, StreamingResponse

from authmesh.audit.v1 import audit_pb2
from authmesh_gateway.context import GatewayContext, context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.feed.documents import (
    csv_rows,
    entry_json,
    ndjson_rows,
    security_activity_types,
)
from authmesh_gateway.http_io import check_router_origin, json_response
from authmesh_gateway.sessions.current import CurrentSession, require_session
from authmesh_gateway.wire.errors import ApiError
from authmesh_kit.errors import DomainError

router = APIRouter()

# Who may read the audit log: whoever identity lets list users (an admin).
AUDIT_PERMISSION = ("user", ("list",))
NOT_ALLOWED = ApiError(
    403, "YOU_ARE_NOT_ALLOWED_TO_VIEW_THE_AUDIT_LOG", "You are not allowed to view the audit log"
)
_MAX_FIELD = 256
_MAX_TYPES = 50
_MAX_CURSOR = 200
_EXPORT_LINES = 200  # entries per chunk written to the client
_FORMATS = {"ndjson": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


async def require_audit_reader(request: Request, ctx: GatewayContext) -> CurrentSession:
    """401 without a session, 403 for a user who is no admin."""
    current = await require_session(request, ctx)
    try:
        allowed = await ctx.admin.check_permission(current.user.id, [AUDIT_PERMISSION])
    except DomainError as error:
        raise api_error(error) from None
    if not allowed:
        raise NOT_ALLOWED
    return current


def _text(query: QueryParams, name: str) -> str:
    value = query.get(name, "")
    if len(value) > _MAX_FIELD:
        raise ApiError.validation(
            f"[query.{name}] Too big: expected at most {_MAX_FIELD} characters"
        )
    return value


def _moment(query: QueryParams, name: str) -> timestamp_pb2.Timestamp | None:
    """ISO 8601 (a zone required: "Z" or an offset) or milliseconds since the epoch."""
    value = query.get(name, "")
    if not value:
        return None
    try:
        if value.isdigit():
            moment = datetime.fromtimestamp(int(value) / 1000, UTC)
        else:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise ValueError(value)
    except (ValueError, OverflowError, OSError):
        raise ApiError.validation(
            f"[query.{name}] Invalid input: expected an ISO 8601 date with a zone or epoch ms"
        ) from None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


def event_filter(query: QueryParams) -> audit_pb2.EventFilter:
    """The listing's filters from the query: userId, organizationId, type (repeated or comma
    separated), ip, from (inclusive) and to (exclusive)."""
    types = [
        item.strip() for value in query.getlist("type") for item in value.split(",") if item.strip()
    ]
    if len(types) > _MAX_TYPES or any(len(item) > _MAX_FIELD for item in types):
        raise ApiError.validation(f"[query.type] Too big: at most {_MAX_TYPES} event types")
    found = audit_pb2.EventFilter(
        user_id=_text(query, "userId"),
        organization_id=_text(query, "organizationId"),
        types=types,
        ip=_text(query, "ip"),
    )
    start, end = _moment(query, "from"), _moment(query, "to")
    if start is not None:
        found.occurred_from.CopyFrom(start)
    if end is not None:
        found.occurred_to.CopyFrom(end)
    return found


def page_arguments(query: QueryParams) -> tuple[int, str]:
    raw_limit = query.get("limit", "")
    if raw_limit and not (raw_limit.isdigit() and 1 <= int(raw_limit) <= 200):
        raise ApiError.validation("[query.limit] Invalid input: expected an integer from 1 to 200")
    cursor = query.get("cursor", "")
    if len(cursor) > _MAX_CURSOR:
        raise ApiError.validation("[query.cursor] Invalid input: not a cursor")
    return (int(raw_limit) if raw_limit else 0), cursor


async def _page(ctx: GatewayContext, found: audit_pb2.EventFilter, query: QueryParams) -> Response:
    limit, cursor = page_arguments(query)
    try:
        page = await ctx.audit.list_events(found, limit=limit, cursor=cursor)
    except DomainError as error:
        if error.reason == "INVALID_CURSOR":
            raise ApiError.validation("[query.cursor] Invalid input: not a cursor") from None
        raise api_error(error) from None
    return json_response(
        {
            "entries": [entry_json(entry) for entry in page.entries],
            "nextCursor": page.next_cursor or None,
        }
    )


@router.get("/admin/audit")
async def list_audit(request: Request) -> Response:
    ctx = context_of(request)
    found = event_filter(request.query_params)
    await require_audit_reader(request, ctx)
    return await _page(ctx, found, request.query_params)


@router.get("/admin/audit/export")
async def export_audit(request: Request) -> Response:
    """Every matching entry, newest first, streamed as it is read: the gateway holds one chunk
    of lines at a time and the audit service one page, however many entries match."""
    ctx = context_of(request)
    export_format = request.query_params.get("format", "ndjson")
    if export_format not in _FORMATS:
        raise ApiError.validation('[query.format] Invalid option: expected one of "ndjson"|"csv"')
    found = event_filter(request.query_params)
    await require_audit_reader(request, ctx)
    entries = ctx.audit.export_events(found)
    # The first message is awaited before answering, so that a refused filter or an audit
    # service that is down is an error status, not a 200 cut short.
    try:
        first = await anext(entries, None)
    except DomainError as error:
        raise api_error(error) from None

    async def body() -> AsyncIterator[str]:
        as_csv = export_format == "csv"
        header = as_csv
        chunk = [] if first is None else [first]
        try:
            async for entry in entries:
                chunk.append(entry)
                if len(chunk) >= _EXPORT_LINES:
                    yield csv_rows(chunk, header=header) if as_csv else ndjson_rows(chunk)
                    header, chunk = False, []
            if chunk or header:
                yield csv_rows(chunk, header=header) if as_csv else ndjson_rows(chunk)
        finally:
            await entries.aclose()  # a client gone away cancels the audit service's stream

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    disposition = f'attachment; filename="audit-{stamp}.{export_format}"'
    return StreamingResponse(
        body(),
        media_type=_FORMATS[export_format],
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


@router.post("/admin/audit/verify")
async def verify_audit(request: Request) -> Response:
    ctx = context_of(request)
    check_router_origin(request, ctx)
    await require_audit_reader(request, ctx)
    try:
        result = await ctx.audit.verify_chain()
    except DomainError as error:
        raise api_error(error) from None
    answer: dict[str, object] = {
        "ok": result.ok,
        "checked": result.checked,
        "anchorSequence": result.anchor_sequence,
        "lastSequence": result.last_sequence,
        "firstBroken": None,
    }
    if not result.ok:
        answer["firstBroken"] = {
            "problem": result.problem,
            "sequence": result.broken_sequence,
            "eventId": result.broken_event_id or None,
            "detail": result.detail,
        }
    return json_response(answer)


@router.get("/me/security-activity")
async def security_activity(request: Request) -> Response:
    """The caller's own sign-ins, sign-outs, new devices and changes to passwords, addresses
    and factors, newest first."""
    ctx = context_of(request)
    current = await require_session(request, ctx)
    found = audit_pb2.EventFilter(user_id=current.user.id, types=security_activity_types())
    return await _page(ctx, found, request.query_params)
