"""A pure-ASGI middleware that opens the request's server span, continuing the caller's W3C
`traceparent` when there is one, so that one trace runs from the HTTP request through gRPC and
the outbox to every consumer. Sampling (kit tracing) keeps unsampled spans nearly free."""

from opentelemetry import context, propagate, trace
from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Receive, Scope, Send

tracer = trace.get_tracer("authmesh.gateway")


class TraceContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        carrier = {}
        for name, value in scope["headers"]:
            if name in (b"traceparent", b"tracestate"):
                carrier[name.decode()] = value.decode("latin-1")
        token = context.attach(propagate.extract(carrier))
        try:
            with tracer.start_as_current_span(
                f"{scope['method']} {scope['path']}", kind=SpanKind.SERVER
            ):
                await self.app(scope, receive, send)
        finally:
            context.detach(token)
