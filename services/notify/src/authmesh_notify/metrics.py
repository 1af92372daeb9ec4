"""Delivery outcomes as Prometheus counters: notify publishes no events (DESIGN §1), so these
and its logs are where a delivery's fate shows."""

from prometheus_client import Counter

from authmesh_notify.domain.model import MESSAGE_TYPES

DELIVERED = Counter(
    "authmesh_notify_delivered_total", "Messages the channel accepted", ["type", "channel"]
)
FAILED = Counter(
    "authmesh_notify_failed_total",
    "Delivery tries that failed and will be retried",
    ["type", "channel", "reason"],
)
DEAD_LETTERED = Counter(
    "authmesh_notify_dead_lettered_total",
    "Messages given up on: expired, refused, undecryptable or out of tries",
    ["type", "channel", "reason"],
)


def type_label(type_: str) -> str:
    """Known types by name; anything else (an unchecked subject) shares one label."""
    return type_ if type_ in MESSAGE_TYPES else "other"
