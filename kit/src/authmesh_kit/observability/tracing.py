"""OpenTelemetry tracing: sampled, propagated over gRPC by instrumentation and over NATS by the
event envelope's `traceparent`."""

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorClient, GrpcAioInstrumentorServer
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased


def setup_tracing(service: str, sample_ratio: float, otlp_endpoint: str | None) -> None:
    """Installs the tracer provider; must run before gRPC servers and channels are created."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"authmesh-{service}"}),
        sampler=ParentBased(TraceIdRatioBased(sample_ratio)),
    )
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    trace.set_tracer_provider(provider)
    GrpcAioInstrumentorServer().instrument()  # type: ignore[no-untyped-call]  # untyped library
    GrpcAioInstrumentorClient().instrument()  # type: ignore[no-untyped-call]  # untyped library


def current_traceparent() -> str:
    """The W3C traceparent of the active span, or "" outside any trace."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent", "")


def context_from_traceparent(traceparent: str) -> Context:
    return propagate.extract({"traceparent": traceparent} if traceparent else {})
