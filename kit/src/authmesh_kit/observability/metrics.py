"""The Prometheus endpoint every process exposes, and the metrics the kit itself records."""

from prometheus_client import Counter, Gauge, Histogram, start_http_server

OUTBOX_BACKLOG_AGE = Gauge(
    "authmesh_outbox_backlog_age_seconds", "Age of the oldest unpublished outbox row"
)
OUTBOX_PUBLISHED = Counter("authmesh_outbox_published_total", "Events published by the relay")
EVENTS_CONSUMED = Counter(
    "authmesh_events_consumed_total", "Events handled by a consumer", ["consumer", "result"]
)
CONSUMER_LAG = Gauge("authmesh_consumer_lag_events", "Events pending for a consumer", ["consumer"])
EVENT_DELIVERY_SECONDS = Histogram(
    "authmesh_event_delivery_seconds",
    "Time from an event's creation to its handling",
    ["consumer"],
    buckets=(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30),
)
# `grpc_*` label names: the scrape adds its own `service` label (the Kubernetes Service).
RPCS_SERVED = Counter(
    "authmesh_grpc_requests_total",
    "gRPC calls served, by method and status code",
    ["grpc_service", "grpc_method", "grpc_code"],
)
RPC_SECONDS = Histogram(
    "authmesh_grpc_request_duration_seconds",
    "Time to serve a gRPC call",
    ["grpc_service", "grpc_method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
BACKEND_UP = Gauge(
    "authmesh_backend_up",
    "1 while this process reaches the backing service, 0 while it does not",
    ["backend"],
)


def start_metrics_endpoint(port: int) -> None:
    """Serves /metrics on its own port (0 leaves it off), outside the request path."""
    if port:
        start_http_server(port)
