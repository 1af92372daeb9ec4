"""The audit service's consumer of every `auth.>` event: each fetched batch is chained in one
transaction (the kit's BatchEventConsumer), and each chained event is counted by type once its
transaction committed, so that alerts see sign-in failures and security events as they happen."""

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncConnection

from authmesh_audit.domain.ports import AuditStore
from authmesh_audit.domain.use_cases.record_event import record_events
from authmesh_kit.events.catalogue import CATALOGUE
from authmesh_kit.events.envelope import Envelope

_RECORDED = Counter(
    "authmesh_audit_events_recorded_total", "Events chained into the audit log", ["type"]
)
# Resolved once per catalogued type; any other type, which no service publishes, is one series.
_BY_TYPE = {event_type: _RECORDED.labels(event_type) for event_type in CATALOGUE}
_OTHER = _RECORDED.labels("other")


class AuditEventHandler:
    def __init__(self, store: AuditStore) -> None:
        self._store = store

    async def __call__(self, conn: AsyncConnection, envelopes: list[Envelope]) -> list[Envelope]:
        return await record_events(self._store, conn, envelopes)


def count_recorded(envelope: Envelope) -> None:
    """The consumer's `on_applied`: runs after the entry's transaction committed."""
    _BY_TYPE.get(envelope.type, _OTHER).inc()
