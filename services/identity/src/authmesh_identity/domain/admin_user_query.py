"""What an admin's user listing (list-users, api.md §9.9) means: Better-Auth's search, filter,
sort and pagination parameters, read against an allow-list of fields and operators.

Only what an index of the users table serves is allowed, so that a listing never reads the
whole table as users grow; the one exception is substring search (`contains`, `ends_with`),
which no btree serves and which the store bounds with a statement timeout. A field, operator or
value outside the allow-list matches nothing, which is Better-Auth's answer to a listing its
database refuses (`{"users": [], "total": 0}`). Values are data: they reach SQL only as bound
parameters, and `%` and `_` in a search match themselves.
"""

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from authmesh_identity.domain.model import User

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


class Operator(enum.StrEnum):
    """Better-Auth's `whereOperators` that Authmesh serves (not `ne` and `not_in`: no index
    serves them)."""

    EQ = "eq"
    LT = "lt"
    LTE = "lte"
    GT = "gt"
    GTE = "gte"
    IN = "in"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"


SUBSTRING_OPERATORS = frozenset({Operator.CONTAINS, Operator.ENDS_WITH})
_TEXT_MATCHES = frozenset({Operator.EQ, Operator.IN, Operator.STARTS_WITH}) | SUBSTRING_OPERATORS
_RANGE = frozenset({Operator.EQ, Operator.LT, Operator.LTE, Operator.GT, Operator.GTE})


class FieldType(enum.Enum):
    TEXT = "text"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"


@dataclass(frozen=True)
class ListableField:
    """A user field an admin listing may use: its column, how its values are read, the
    operators its indexes serve, and whether a listing may be sorted by it."""

    column: str
    type: FieldType
    operators: frozenset[Operator]
    sortable: bool = False


# Better-Auth's field names (api.md §8). store/tables.py and migration 0006 hold the indexes.
FIELDS: dict[str, ListableField] = {
    "id": ListableField("id", FieldType.TEXT, frozenset({Operator.EQ, Operator.IN}), True),
    "email": ListableField("email", FieldType.TEXT, _TEXT_MATCHES, sortable=True),
    "name": ListableField("name", FieldType.TEXT, _TEXT_MATCHES, sortable=True),
    "createdAt": ListableField("created_at", FieldType.TIMESTAMP, _RANGE, sortable=True),
    "role": ListableField("role", FieldType.TEXT, frozenset({Operator.EQ, Operator.IN})),
    "banned": ListableField("banned", FieldType.BOOLEAN, frozenset({Operator.EQ})),
    "username": ListableField("username", FieldType.TEXT, frozenset({Operator.EQ})),
    "phoneNumber": ListableField("phone_number", FieldType.TEXT, frozenset({Operator.EQ})),
}
SEARCH_FIELDS = frozenset({"email", "name"})
SEARCH_OPERATORS = frozenset({Operator.CONTAINS, Operator.STARTS_WITH, Operator.ENDS_WITH})
# Unique, so a sort by it needs no tie-breaker.
_UNIQUE_SORTS = frozenset({"id", "email"})

Value = str | bool | datetime


@dataclass(frozen=True)
class Condition:
    column: str
    operator: Operator
    values: tuple[Value, ...]  # one, or several for `in`


@dataclass(frozen=True)
class UserQuery:
    """A listing the store can run: every column from FIELDS, every value typed."""

    conditions: tuple[Condition, ...]
    order_by: tuple[str, ...]  # columns; the last ones break ties, so that pages are stable
    descending: bool
    limit: int
    offset: int

    @property
    def searches_substrings(self) -> bool:
        return any(condition.operator in SUBSTRING_OPERATORS for condition in self.conditions)


@dataclass(frozen=True)
class ListingRequest:
    """The parameters as the client sent them (strings; empty for absent), with Better-Auth's
    defaults still to apply. `limit` and `offset` are 0 when not given."""

    search_value: str = ""
    search_field: str = ""
    search_operator: str = ""
    filter_field: str | None = None  # None: no filter (no filterValue was sent)
    filter_values: Sequence[str] = ()
    filter_operator: str = ""
    sort_by: str = ""
    descending: bool = False
    limit: int = 0
    offset: int = 0


def _read(field: ListableField, raw: str) -> Value | None:
    if field.type is FieldType.BOOLEAN:
        return {"true": True, "false": False}.get(raw)
    if field.type is FieldType.TIMESTAMP:
        try:
            stamp = datetime.fromisoformat(raw)
            return stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)
        except (ValueError, OverflowError):  # not a date, or one beyond year 1..9999 in UTC
            return None
    return raw


def _condition(name: str, operator_name: str, raw_values: Sequence[str]) -> Condition | None:
    field = FIELDS.get(name)
    try:
        operator = Operator(operator_name)
    except ValueError:
        return None
    if field is None or operator not in field.operators:
        return None
    if operator is not Operator.IN and len(raw_values) != 1:
        return None
    read = [_read(field, raw) for raw in raw_values]
    values = tuple(value for value in read if value is not None)
    if not values or len(values) != len(read):
        return None
    return Condition(field.column, operator, values)


def user_query(request: ListingRequest) -> UserQuery | None:
    """The query the request means, or None when it can match nothing here (a field,
    operator or value outside the allow-list)."""
    conditions = []
    if request.search_value:  # Better-Auth ignores an empty search
        field = request.search_field or "email"
        operator = request.search_operator or Operator.CONTAINS
        if field not in SEARCH_FIELDS or operator not in SEARCH_OPERATORS:
            return None
        search = _condition(field, operator, [request.search_value])
        if search is None:
            return None
        conditions.append(search)
    if request.filter_field is not None:
        found = _condition(
            request.filter_field or "email",
            request.filter_operator or Operator.EQ,
            request.filter_values,
        )
        if found is None:
            return None
        conditions.append(found)
    if request.sort_by:
        sort = FIELDS.get(request.sort_by)
        if sort is None or not sort.sortable:
            return None
        order_by = (sort.column,) if request.sort_by in _UNIQUE_SORTS else (sort.column, "id")
    else:
        order_by = ("created_at", "id")
    if request.limit < 0 or request.offset < 0:
        return None
    return UserQuery(
        conditions=tuple(conditions),
        order_by=order_by,
        descending=request.descending,
        limit=min(request.limit or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
        offset=request.offset,
    )


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    total: int  # every user the query's conditions match
    limit: int  # the page size applied
    supported: bool = True  # False: the request was outside the allow-list and matched nothing
