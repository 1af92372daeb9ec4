"""Request bodies as Better-Auth reads them behind its Node handler (better-call 1.4.5
`getBody` and `adapters/node/request.ts`), including which failures come out as 415 or 400.

The peer answers differently to "no body" (JavaScript `undefined`: zod says "received
undefined") and to a JSON `null`, so the absence of a body is its own value, `MISSING`.
"""

import json
import re
from collections.abc import Sequence
from enum import Enum
from typing import Literal, TypeAlias
from urllib.parse import parse_qsl

from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.js import to_well_formed, trim

JsonValue: TypeAlias = bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"] | None


class Missing(Enum):
    """JavaScript `undefined`: no body, or a key that is not there."""

    MISSING = "undefined"


MISSING = Missing.MISSING

Body: TypeAlias = JsonValue | Missing

MediaType = Literal["application/json", "application/x-www-form-urlencoded"]
JSON_ONLY: tuple[MediaType, ...] = ("application/json",)
# Only /sign-up/email and /sign-in/email also take HTML form posts; the 415 message lists
# the allowed types in this order.
FORM_OR_JSON: tuple[MediaType, ...] = ("application/x-www-form-urlencoded", "application/json")
# A `\uD800`..`\uDFFF` escape: the only way a JSON text can put a lone surrogate in a string.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def read_body(
    content_type: str | None, raw: bytes, allowed: Sequence[MediaType] = JSON_ONLY
) -> Body:
    """The decoded body of a POST.

    `content_type` is the header as sent. Without a Content-Type, or with an empty body, there
    is no body at all (the Node adapter never reads one), so nothing is rejected. Otherwise a
    media type outside `allowed` is a 415 naming the header verbatim, malformed JSON a 400
    BAD_REQUEST, and a form becomes name → last value.
    """
    if not content_type or not raw:
        return MISSING
    media_type = trim(content_type.lower().split(";")[0])
    if media_type not in allowed:
        raise ApiError.unsupported_media_type(content_type, allowed)
    if media_type == "application/json":
        return parse_json(raw)
    return parse_form(raw)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")  # JSON.parse has no NaN or Infinity literals


def _parse_int(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:  # past Python's 4300-digit cap: JavaScript reads it as Infinity
        return float(text)


def parse_json(raw: bytes) -> JsonValue:
    """`Request.json()`: UTF-8 with a leading BOM dropped and bad bytes replaced, then
    `JSON.parse`. Any failure is 400 "Invalid JSON in request body".

    Nesting deeper than Python's recursion allows (about 1000 levels) is also a 400, where V8
    would parse it: the one deliberate difference, since no real client nests that deep.

    An escaped lone surrogate (`"\\ud800"`) is accepted, as by JSON.parse, but comes out as
    U+FFFD: Python could not encode it for gRPC or the response (a 500), and Better-Auth stores
    it as U+FFFD anyway, through its database driver. Only a text with such an escape is walked.
    """
    text = raw.decode("utf-8", "replace").removeprefix("\ufeff")
    try:
        value: JsonValue = json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int)
        if _SURROGATE_ESCAPE.search(text):
            value = _well_formed(value)
    except (ValueError, RecursionError):
        raise ApiError.invalid_json() from None
    return value


def _well_formed(value: JsonValue) -> JsonValue:
    """`value` with every string, keys included, through `to_well_formed`."""
    if isinstance(value, str):
        return to_well_formed(value)
    if isinstance(value, list):
        return [_well_formed(item) for item in value]
    if isinstance(value, dict):
        return {to_well_formed(key): _well_formed(item) for key, item in value.items()}
    return value


def parse_form(raw: bytes) -> dict[str, JsonValue]:
    """`request.formData()` into an object: the WHATWG urlencoded parser, last value wins.

    Latin-1 round-trips every byte through `parse_qsl`, so the percent-decoded bytes are then
    decoded as UTF-8 once, with replacement, as the WHATWG parser does.
    """
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    return {
        name.encode("latin-1").decode("utf-8", "replace"): value.encode("latin-1").decode(
            "utf-8", "replace"
        )
        for name, value in pairs
    }
