"""The one error model: a kind that maps to a gRPC status, and a stable reason code.

Domains raise `DomainError(ErrorKind.ALREADY_EXISTS, "EMAIL_TAKEN", domain="identity")`; the
gRPC layer turns it into a status with a `google.rpc.ErrorInfo`, and only the gateway turns that
into HTTP and Better-Auth bodies. Nothing here knows about HTTP.
"""

from dataclasses import dataclass, field
from enum import Enum


class ErrorKind(Enum):
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    UNAVAILABLE = "UNAVAILABLE"
    DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"
    UNIMPLEMENTED = "UNIMPLEMENTED"
    INTERNAL = "INTERNAL"


@dataclass
class DomainError(Exception):
    """A failure a caller can act on; `reason` is UPPER_SNAKE_CASE and never changes meaning."""

    kind: ErrorKind
    reason: str
    domain: str
    message: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.domain}/{self.reason}: {self.message or self.kind.value}"


def not_implemented_yet(domain: str) -> DomainError:
    """For an RPC whose contract exists but whose service arrives with a later issue."""
    return DomainError(
        ErrorKind.UNIMPLEMENTED, "NOT_IMPLEMENTED_YET", domain, "not implemented yet"
    )
