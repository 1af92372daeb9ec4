"""Carries `DomainError` across gRPC as a status with a `google.rpc.ErrorInfo` detail."""

from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

from authmesh_kit.errors import DomainError, ErrorKind

_DETAILS_KEY = "grpc-status-details-bin"

STATUS_BY_KIND: dict[ErrorKind, grpc.StatusCode] = {
    kind: getattr(grpc.StatusCode, kind.value) for kind in ErrorKind
}
KIND_BY_STATUS: dict[grpc.StatusCode, ErrorKind] = {v: k for k, v in STATUS_BY_KIND.items()}


def to_trailing_metadata(error: DomainError) -> tuple[tuple[str, bytes], ...]:
    info = error_details_pb2.ErrorInfo(
        reason=error.reason, domain=error.domain, metadata=error.metadata
    )
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(
        code=STATUS_BY_KIND[error.kind].value[0], message=error.message, details=[detail]
    )
    return ((_DETAILS_KEY, status.SerializeToString()),)


def from_rpc_error(error: grpc.aio.AioRpcError, callee: str) -> DomainError:
    """The domain error a failed call stands for; transport failures become UNAVAILABLE etc."""
    code = error.code()
    kind = KIND_BY_STATUS.get(code, ErrorKind.INTERNAL)
    metadata: Any = error.trailing_metadata() or ()  # grpc-stubs types this loosely
    for key, value in metadata:
        if key == _DETAILS_KEY and isinstance(value, bytes):
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    return DomainError(
                        kind, info.reason, info.domain, status.message, dict(info.metadata)
                    )
    return DomainError(kind, kind.value, callee, error.details() or "")
