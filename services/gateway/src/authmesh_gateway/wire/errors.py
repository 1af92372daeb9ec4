"""Better-Auth 1.7.25 error answers: the code catalogue and the three body shapes (api.md §2).

A Better-Auth error is a status plus `{"message","code"}`, `{"message"}` alone, or no body at
all (still `content-type: application/json`), and clients branch on which one they get, so
`ApiError` keeps `code` and `message` separately optional. `error_codes.tsv` is the upstream
catalogue copied verbatim (group, code, default message); a code's message is the same in
every group that defines it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from types import MappingProxyType

from authmesh_gateway.wire.js import json_stringify

# Messages Better-Auth writes inline rather than through its catalogue.
_INLINE_MESSAGES = {"UNAUTHORIZED": "Unauthorized"}
# Codes of plugins the shared catalogue leaves out: haveIBeenPwned (1.7.25
# plugins/haveibeenpwned, answered with status 400), whose code Authmesh's bundled blocklist
# answers.
_PLUGIN_MESSAGES = {
    "PASSWORD_COMPROMISED": (
        "The password you entered has been compromised. Please choose a different password."
    ),
}

INVALID_JSON_MESSAGE = "Invalid JSON in request body"
RATE_LIMITED_MESSAGE = "Too many requests. Please try again later."


@cache
def catalogue() -> Mapping[str, str]:
    """code → default message, from the packaged `error_codes.tsv`."""
    text = files("authmesh_gateway.wire").joinpath("error_codes.tsv").read_text(encoding="utf-8")
    messages: dict[str, str] = _INLINE_MESSAGES | _PLUGIN_MESSAGES
    for line in text.splitlines()[2:]:  # after the comment and the header row
        _group, code, message = line.split("\t")
        if messages.setdefault(code, message) != message:
            raise ValueError(f"error_codes.tsv: {code} has two messages")
    return MappingProxyType(messages)


def message_for(code: str) -> str:
    """The default message of a Better-Auth code; `KeyError` for a code it does not define."""
    return catalogue()[code]


class ApiError(Exception):
    """An HTTP error answered in Better-Auth's shape. Routes raise it; the app renders it."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message or code or str(status))
        self.status = status
        self.code = code
        self.message = message
        self.headers: Mapping[str, str] = MappingProxyType(dict(headers or {}))

    def body(self) -> bytes | None:
        """`{"message":…,"code":…}` in that key order, either key alone, or None for no body."""
        payload = {
            key: value
            for key, value in (("message", self.message), ("code", self.code))
            if value is not None
        }
        return json_stringify(payload).encode() if payload else None

    @classmethod
    def from_code(cls, status: int, code: str) -> "ApiError":
        """`APIError.from(status, CODES.X)`: the code with its catalogue message."""
        return cls(status, code, message_for(code))

    @classmethod
    def validation(cls, message: str) -> "ApiError":
        """better-call's zod failure: 400 VALIDATION_ERROR carrying the issue list as message."""
        return cls(400, "VALIDATION_ERROR", message)

    @classmethod
    def invalid_json(cls) -> "ApiError":
        return cls(400, "BAD_REQUEST", INVALID_JSON_MESSAGE)

    @classmethod
    def unsupported_media_type(cls, content_type: str, allowed: Sequence[str]) -> "ApiError":
        """415; `content_type` is the request header exactly as sent, parameters and case kept."""
        return cls(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            f'Content-Type "{content_type}" is not allowed. Allowed types: {", ".join(allowed)}',
        )

    @classmethod
    def too_many_requests(cls, retry_after_s: int) -> "ApiError":
        """The rate limiter's 429: message only, no code, and the retry delay in a header."""
        return cls(429, None, RATE_LIMITED_MESSAGE, {"X-Retry-After": str(retry_after_s)})

    @classmethod
    def too_large(cls) -> "ApiError":
        """413 for a body over the gateway's cap. Authmesh only: Better-Auth reads any size."""
        return cls(413, "PAYLOAD_TOO_LARGE", "Request body is too large")


@dataclass(frozen=True, slots=True)
class KnownError:
    """A code whose status is the same on every endpoint that uses it."""

    status: int
    code: str

    def error(self) -> ApiError:
        return ApiError.from_code(self.status, self.code)


UNAUTHORIZED = KnownError(401, "UNAUTHORIZED")
SESSION_NOT_FRESH = KnownError(403, "SESSION_NOT_FRESH")
INVALID_EMAIL_OR_PASSWORD = KnownError(401, "INVALID_EMAIL_OR_PASSWORD")
INVALID_EMAIL = KnownError(400, "INVALID_EMAIL")
PASSWORD_TOO_SHORT = KnownError(400, "PASSWORD_TOO_SHORT")
PASSWORD_TOO_LONG = KnownError(400, "PASSWORD_TOO_LONG")
USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL = KnownError(422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")
FAILED_TO_CREATE_USER = KnownError(422, "FAILED_TO_CREATE_USER")
INVALID_CALLBACK_URL = KnownError(403, "INVALID_CALLBACK_URL")
METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED = KnownError(
    405, "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED"
)
