"""Names on NATS, all carrying the namespace so that stacks can share one NATS (DESIGN §3).

An event of type `auth.identity.user.created.v1` travels on subject
`<namespace>.auth.identity.user.created` in stream `<NAMESPACE>_AUTH_EVENTS`.
"""

AUTH_EVENTS = "AUTH_EVENTS"
NOTIFY = "NOTIFY"


def stream_name(namespace: str, stream: str) -> str:
    return f"{namespace.upper()}_{stream}"


def auth_subjects(namespace: str) -> str:
    """The subject filter of the AUTH_EVENTS stream."""
    return f"{namespace}.auth.>"


def notify_subjects(namespace: str) -> str:
    return f"{namespace}.notify.>"


def event_subject(namespace: str, event_type: str) -> str:
    """`auth.session.session.revoked.v1` → `<namespace>.auth.session.session.revoked`."""
    base, _, version = event_type.rpartition(".")
    if not version.startswith("v") or not base.startswith("auth."):
        raise ValueError(f"not an event type: {event_type!r}")
    return f"{namespace}.{base}"


def durable_name(namespace: str, consumer: str) -> str:
    return f"{namespace}_{consumer}"
