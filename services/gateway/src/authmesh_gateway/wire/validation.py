"""Better-Auth's VALIDATION_ERROR answers, word for word (api.md §2).

Better-Auth validates bodies with zod 4 and better-call joins the issues into one message:
`[body.email] Invalid input: expected string, received undefined; [body.password] …`. Clients
show that text, so a pydantic error will not do: this is a small field-spec validator that
produces zod's English messages in zod's order (the schema's field order, not the body's).
Unknown keys are kept; the route decides what to do with them.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from authmesh_gateway.wire.body import MISSING, Body, JsonValue, Missing
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.js import utf16_length

FieldType = Literal["string", "boolean", "number", "record", "any", "union"]
# The members a "union" field may take: zod's `z.union([...])` of these.
UnionMember = Literal["string", "number", "boolean", "strings", "numbers"]
# What zod expects of the whole body: `z.object`, `z.record`, or sign-up's
# `z.object(…).and(z.record(…))`, which reports both when the body is not an object.
Shape = Literal["object", "record", "object_and_record"]
# "body.data": a nested object checked on its own (organization update, update-team).
Source = Literal["body", "query", "body.data"]

# zod 4.6 `z.email()` (regexes.email), anchored by `fullmatch`.
_EMAIL = re.compile(
    r"(?:[A-Za-z0-9_'+\-]+\.)*[A-Za-z0-9_'+\-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+"
    r"[A-Za-z]{2,}"
)
_EXPECTED_OF_SHAPE: Mapping[Shape, tuple[str, ...]] = {
    "object": ("object",),
    "record": ("record",),
    "object_and_record": ("object", "record"),
}


@dataclass(frozen=True, slots=True)
class Field:
    """One key of a zod object schema.

    `email` is `z.email()`; `min_length`/`max_length` are `.min(n)`/`.max(n)` on a string,
    counted in UTF-16 units like JavaScript. A string's format is checked before its length,
    as in `z.email().max(n)`. `choices` makes it `z.enum([...])`, whose one message covers a
    missing value, a wrong type and an unknown string alike. A "record" is
    `z.record(z.string(), z.any())`: any JSON object. "any" is a required `z.any()`: any
    value, null included, but not none ("expected nonoptional"); it is also what
    `z.coerce.string()` checks (`String(value)` of anything passes). A "union" takes any of its
    `accepts` (`strings` is an array of strings), and zod says only "Invalid input" of a value
    that is none of them. `too_small_message` is the message of `.min(n, message)`, such as
    `.nonempty("userId cannot be empty")`.
    """

    name: str
    type: FieldType
    required: bool = True
    nullable: bool = False
    email: bool = False
    min_length: int | None = None
    max_length: int | None = None
    choices: tuple[str, ...] | None = None
    accepts: tuple[UnionMember, ...] = ()
    too_small_message: str | None = None


@dataclass(frozen=True, slots=True)
class BodySchema:
    """A body schema; `optional` is zod's `.optional()` on the whole body, so that no body at
    all validates as `{}` while a JSON `null` is still rejected."""

    fields: tuple[Field, ...]
    shape: Shape = "object"
    optional: bool = False


def is_email(value: str) -> bool:
    """zod's email check, which Better-Auth also runs by hand (sign-in's INVALID_EMAIL)."""
    return _EMAIL.fullmatch(value) is not None


def _received(value: Body) -> str:
    """zod's name for what it got (`util.parsedType`, with non-finite numbers spelled out)."""
    if value is MISSING:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _has_type(value: JsonValue, expected: FieldType) -> bool:
    if expected == "string":
        return isinstance(value, str)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "record":
        return isinstance(value, dict)
    if expected == "any":
        return True
    # bool is an int in Python, and zod's number rejects NaN and ±Infinity.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# A union member: the type of the value, or of each item of an array.
_MEMBER_TYPES: Mapping[UnionMember, tuple[FieldType, bool]] = {
    "string": ("string", False),
    "number": ("number", False),
    "boolean": ("boolean", False),
    "strings": ("string", True),
    "numbers": ("number", True),
}


def _is_member(value: JsonValue, member: UnionMember) -> bool:
    kind, is_array = _MEMBER_TYPES[member]
    if is_array:
        return isinstance(value, list) and all(_has_type(each, kind) for each in value)
    return _has_type(value, kind)


def _field_issues(field: Field, value: JsonValue | Missing) -> list[str]:
    if field.type == "union" and (field.required or value is not MISSING):
        if value is not MISSING and any(_is_member(value, member) for member in field.accepts):
            return []
        return ["Invalid input"]
    if field.choices is not None and (field.required or value is not MISSING):
        if value in field.choices:
            return []
        options = "|".join(f'"{choice}"' for choice in field.choices)
        return [f"Invalid option: expected one of {options}"]
    if value is MISSING:
        if field.required:
            expected = "nonoptional" if field.type == "any" else field.type
            return [f"Invalid input: expected {expected}, received undefined"]
        return []
    if value is None and field.nullable:
        return []
    if not _has_type(value, field.type):
        return [f"Invalid input: expected {field.type}, received {_received(value)}"]
    if not isinstance(value, str):
        return []
    issues = []
    if field.email and not is_email(value):
        issues.append("Invalid email address")
    length = utf16_length(value)
    if field.min_length is not None and length < field.min_length:
        issues.append(
            field.too_small_message
            or f"Too small: expected string to have >={field.min_length} characters"
        )
    if field.max_length is not None and length > field.max_length:
        issues.append(f"Too big: expected string to have <={field.max_length} characters")
    return issues


def validate_body(
    body: Body, schema: BodySchema, *, source: Source = "body"
) -> dict[str, JsonValue]:
    """The body as a dict, or `ApiError` 400 VALIDATION_ERROR with zod's joined message.

    `source` names the part in the message: better-call validates `query` the same way.
    """
    if body is MISSING and schema.optional:
        return {}
    if not isinstance(body, dict):
        received = _received(body)
        raise ApiError.validation(
            "; ".join(
                f"[{source}] Invalid input: expected {expected}, received {received}"
                for expected in _EXPECTED_OF_SHAPE[schema.shape]
            )
        )
    issues = [
        f"[{source}.{field.name}] {message}"
        for field in schema.fields
        for message in _field_issues(field, body.get(field.name, MISSING))
    ]
    if issues:
        raise ApiError.validation("; ".join(issues))
    return dict(body)
