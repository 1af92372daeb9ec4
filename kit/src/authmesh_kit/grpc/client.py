"""Calls to other services: a service token on every call, a deadline on every call, and
failures turned back into `DomainError` so that callers never handle raw gRPC errors."""

from collections.abc import AsyncGenerator
from typing import Any, Protocol, TypeVar

import grpc

from authmesh_kit.errors import DomainError
from authmesh_kit.grpc.service_auth import ServiceTokenIssuer
from authmesh_kit.grpc.status import from_rpc_error

Response = TypeVar("Response")


class UnaryMethod(Protocol[Response]):
    def __call__(
        self, request: Any, *, timeout: float | None = ..., metadata: Any = ...
    ) -> "grpc.aio.UnaryUnaryCall[Any, Response]": ...


class StreamMethod(Protocol[Response]):
    def __call__(
        self, request: Any, *, timeout: float | None = ..., metadata: Any = ...
    ) -> "grpc.aio.UnaryStreamCall[Any, Response]": ...


class ServiceChannel:
    """One channel to one service, shared by every stub of that service in the process."""

    def __init__(
        self, callee: str, addr: str, issuer: ServiceTokenIssuer, timeout_s: float = 1.0
    ) -> None:
        self.callee = callee
        self.channel = grpc.aio.insecure_channel(
            addr,
            options=[
                ("grpc.keepalive_time_ms", 30_000),
                ("grpc.enable_retries", 0),
                # A restarted peer is found again within ~0.5 s instead of grpc's 1-120 s backoff.
                ("grpc.initial_reconnect_backoff_ms", 100),
                ("grpc.min_reconnect_backoff_ms", 100),
                ("grpc.max_reconnect_backoff_ms", 500),
            ],
        )
        self._issuer = issuer
        self._timeout_s = timeout_s

    async def call(
        self, method: "UnaryMethod[Response]", request: Any, timeout_s: float | None = None
    ) -> Response:
        metadata = (("authorization", f"Bearer {self._issuer.token_for(self.callee)}"),)
        try:
            return await method(request, timeout=timeout_s or self._timeout_s, metadata=metadata)
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc, self.callee) from None

    async def stream(
        self, method: "StreamMethod[Response]", request: Any, timeout_s: float
    ) -> AsyncGenerator[Response, None]:
        """A server-streaming call's messages as they arrive; the call is cancelled when the
        caller closes the generator early (`aclose`)."""
        metadata = (("authorization", f"Bearer {self._issuer.token_for(self.callee)}"),)
        call = method(request, timeout=timeout_s, metadata=metadata)
        try:
            async for message in call:
                yield message
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc, self.callee) from None
        finally:
            call.cancel()

    async def close(self) -> None:
        await self.channel.close(grace=None)


__all__ = ["DomainError", "ServiceChannel"]
