"""gRPC server bootstrap: health, reflection, service authentication, error mapping, graceful stop.

Every RPC declares the services allowed to call it (`Registration.allowed_callers`); a call with
no valid service token, or from a service not on that list, is refused before the servicer runs.
Servicers raise `DomainError`; the interceptor turns it into a status with an `ErrorInfo`.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from prometheus_client import Counter

from authmesh_kit.db import reachability
from authmesh_kit.errors import DomainError, ErrorKind
from authmesh_kit.grpc.service_auth import Caller, ServiceTokenVerifier
from authmesh_kit.grpc.status import STATUS_BY_KIND, to_trailing_metadata
from authmesh_kit.observability.metrics import RPC_SECONDS, RPCS_SERVED

log = structlog.get_logger(__name__)

current_caller: contextvars.ContextVar[Caller] = contextvars.ContextVar("current_caller")

_OPEN_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


@dataclass(frozen=True)
class Registration:
    """One gRPC service of a process and who may call each of its methods."""

    service_name: str  # the full proto name, e.g. authmesh.identity.v1.IdentityService
    add_to_server: Callable[[Any, grpc.aio.Server], None]
    servicer: object
    allowed_callers: Mapping[str, frozenset[str]]  # method name → calling services


class _MethodMetrics:
    """One method's metric children, resolved once per method instead of once per call."""

    def __init__(self, method: str) -> None:
        service, _, name = method.lstrip("/").rpartition("/")
        self._service = service
        self._name = name
        self._seconds = RPC_SECONDS.labels(service, name)
        self._by_code: dict[grpc.StatusCode, Counter] = {}

    def count(self, code: grpc.StatusCode) -> None:
        child = self._by_code.get(code)
        if child is None:
            child = self._by_code[code] = RPCS_SERVED.labels(self._service, self._name, code.name)
        child.inc()

    def served(self, code: grpc.StatusCode, started: float) -> None:
        self._seconds.observe(time.perf_counter() - started)
        self.count(code)


def _error_for(exc: Exception, method: str) -> DomainError:
    if isinstance(exc, DomainError):
        return exc
    if reachability.unreachable(exc):
        reachability.POSTGRES_UP.set(0)
        log.warning("database unavailable", method=method, error=type(exc).__name__)
        return DomainError(ErrorKind.UNAVAILABLE, "DATABASE_UNAVAILABLE", "kit", "try again")
    log.exception("unhandled error in rpc", method=method)
    return DomainError(ErrorKind.INTERNAL, "INTERNAL", "kit", "internal error")


def _wrap_unary(
    behaviour: Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[Any]],
    method: str,
    caller: Caller,
    metrics: _MethodMetrics,
) -> Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[Any]]:
    async def call(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        current_caller.set(caller)
        started = time.perf_counter()
        try:
            response = await behaviour(request, context)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a status, never a crash
            error = _error_for(exc, method)
        else:
            metrics.served(grpc.StatusCode.OK, started)
            return response
        code = STATUS_BY_KIND[error.kind]
        metrics.served(code, started)
        await context.abort(code, error.message, trailing_metadata=to_trailing_metadata(error))
        raise AssertionError("abort returned")  # pragma: no cover - abort always raises

    return call


def _wrap_unary_stream(
    behaviour: Callable[[Any, grpc.aio.ServicerContext[Any, Any]], AsyncIterator[Any]],
    method: str,
    caller: Caller,
    metrics: _MethodMetrics,
) -> Callable[[Any, grpc.aio.ServicerContext[Any, Any]], AsyncIterator[Any]]:
    """`_wrap_unary` for server-streaming methods: a failure after some messages still ends
    the stream with the mapped status."""

    async def call(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
        current_caller.set(caller)
        started = time.perf_counter()
        try:
            async for message in behaviour(request, context):
                yield message
        except Exception as exc:  # noqa: BLE001 - every failure becomes a status, never a crash
            error = _error_for(exc, method)
        else:
            metrics.served(grpc.StatusCode.OK, started)
            return
        code = STATUS_BY_KIND[error.kind]
        metrics.served(code, started)
        await context.abort(code, error.message, trailing_metadata=to_trailing_metadata(error))

    return call


def _refuse(code: grpc.StatusCode, reason: str) -> grpc.RpcMethodHandler[Any, Any]:
    error = DomainError(ErrorKind[code.name], reason, "kit", "service authentication failed")

    async def deny(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        await context.abort(code, error.message, trailing_metadata=to_trailing_metadata(error))

    return grpc.unary_unary_rpc_method_handler(deny)


class ServiceAuthInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]  # grpc-stubs' generics
    def __init__(
        self, verifier: ServiceTokenVerifier, allowed: Mapping[str, frozenset[str]]
    ) -> None:
        self._verifier = verifier
        self._allowed = allowed
        # Only methods a registered handler serves get an entry: bounded by the services.
        self._metrics: dict[str, _MethodMetrics] = {}

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]
        ],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(details)
        method: str = details.method
        if handler is None or method.startswith(_OPEN_PREFIXES):
            return handler
        metrics = self._metrics.get(method)
        if metrics is None:
            metrics = self._metrics[method] = _MethodMetrics(method)
        token = ""
        for key, value in details.invocation_metadata or ():
            if key == "authorization" and isinstance(value, str) and value.startswith("Bearer "):
                token = value[len("Bearer ") :]
        caller = self._verifier.verify(token) if token else None
        if caller is None:
            metrics.count(grpc.StatusCode.UNAUTHENTICATED)
            return _refuse(grpc.StatusCode.UNAUTHENTICATED, "SERVICE_UNAUTHENTICATED")
        if caller.service not in self._allowed.get(method, frozenset()):
            log.warning("caller not allowed", method=method, caller=caller.service)
            metrics.count(grpc.StatusCode.PERMISSION_DENIED)
            return _refuse(grpc.StatusCode.PERMISSION_DENIED, "SERVICE_NOT_ALLOWED")
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                _wrap_unary_stream(handler.unary_stream, method, caller, metrics),  # type: ignore[arg-type]
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_unary is None:
            return handler
        return grpc.unary_unary_rpc_method_handler(
            # aio handlers are coroutines, which grpc-stubs' sync signature does not know.
            _wrap_unary(handler.unary_unary, method, caller, metrics),  # type: ignore[arg-type]
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class GrpcServer:
    """A started aio server with health and reflection; `stop` drains in-flight calls."""

    def __init__(
        self, listen: str, registrations: list[Registration], verifier: ServiceTokenVerifier
    ) -> None:
        allowed = {
            f"/{reg.service_name}/{method}": callers
            for reg in registrations
            for method, callers in reg.allowed_callers.items()
        }
        self._server = grpc.aio.server(interceptors=[ServiceAuthInterceptor(verifier, allowed)])
        self._health = health.aio.HealthServicer()  # type: ignore[attr-defined]  # untyped
        self._registrations = registrations
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        for reg in registrations:
            reg.add_to_server(reg.servicer, self._server)
        names = [reg.service_name for reg in registrations]
        reflection.enable_server_reflection(
            [*names, health.SERVICE_NAME, reflection.SERVICE_NAME], self._server
        )
        self.port = self._server.add_insecure_port(listen)

    async def start(self) -> None:
        await self._server.start()
        for name in ["", *(reg.service_name for reg in self._registrations)]:
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self, grace_s: float = 10.0) -> None:
        await self._health.enter_graceful_shutdown()
        await self._server.stop(grace_s)
