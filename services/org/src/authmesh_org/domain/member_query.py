"""list-members' pagination, sort and filter (api.md §9.8): field and operator names come from
allow-lists and map to columns here; values become typed bound parameters. Nothing a caller
sends reaches SQL as text."""

from datetime import datetime

from authmesh_org.domain.errors import INVALID_MEMBER_QUERY, invalid
from authmesh_org.domain.model import MemberQuery

# Better-Auth's member field → column.
FIELDS = {"id": "id", "userId": "user_id", "role": "role", "createdAt": "created_at"}
OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "contains")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_IN_VALUES = 100


def _value(field: str, raw: str) -> object:
    if field != "createdAt":
        return raw
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(INVALID_MEMBER_QUERY, "createdAt takes an ISO 8601 date") from None


def member_query(
    *,
    limit: int | None,
    offset: int | None,
    sort_by: str | None,
    sort_direction: str | None,
    filter_field: str | None,
    filter_operator: str | None,
    filter_value: str | None,
    default_limit: int = DEFAULT_LIMIT,
) -> MemberQuery:
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise invalid(INVALID_MEMBER_QUERY, f"limit must be 1 to {MAX_LIMIT}")
    if offset is not None and offset < 0:
        raise invalid(INVALID_MEMBER_QUERY, "offset must not be negative")
    sort = sort_by or "createdAt"
    if sort not in FIELDS:
        raise invalid(INVALID_MEMBER_QUERY, f"sortBy must be one of {', '.join(FIELDS)}")
    direction = sort_direction or "asc"
    if direction not in ("asc", "desc"):
        raise invalid(INVALID_MEMBER_QUERY, "sortDirection must be asc or desc")
    column: str | None = None
    operator = "eq"
    values: tuple[object, ...] = ()
    if filter_field is not None:
        if filter_field not in FIELDS:
            raise invalid(INVALID_MEMBER_QUERY, f"filterField must be one of {', '.join(FIELDS)}")
        operator = filter_operator or "eq"
        if operator not in OPERATORS:
            raise invalid(
                INVALID_MEMBER_QUERY, f"filterOperator must be one of {', '.join(OPERATORS)}"
            )
        if operator == "contains" and filter_field != "role":
            raise invalid(INVALID_MEMBER_QUERY, "contains applies to role only")
        if filter_value is None or "\x00" in filter_value:
            raise invalid(INVALID_MEMBER_QUERY, "filterValue is required with filterField")
        raw_values = filter_value.split(",") if operator == "in" else [filter_value]
        if len(raw_values) > MAX_IN_VALUES:
            raise invalid(INVALID_MEMBER_QUERY, f"at most {MAX_IN_VALUES} values")
        column = FIELDS[filter_field]
        values = tuple(_value(filter_field, raw) for raw in raw_values)
    return MemberQuery(
        limit=limit or default_limit,
        offset=offset or 0,
        sort_by=FIELDS[sort],
        descending=direction == "desc",
        filter_field=column,
        filter_operator=operator,
        filter_values=values,
    )
