"""Turning consumed event envelopes into audit entries at the end of the chain."""

from datetime import UTC

from sqlalchemy.ext.asyncio import AsyncConnection

from authmesh.events.v1 import envelope_pb2
from authmesh_audit.domain.model import AuditEntry
from authmesh_audit.domain.ports import AuditStore
from authmesh_kit.events.envelope import Envelope, payload_as_json


def entry_from_envelope(envelope: Envelope) -> AuditEntry:
    return AuditEntry(
        event_id=envelope.id,
        type=envelope.type,
        occurred_at=envelope.occurred_at.ToDatetime(tzinfo=UTC),
        producer=envelope.producer,
        actor_kind=envelope_pb2.ActorKind.Name(envelope.actor.kind),
        actor_user_id=envelope.actor.user_id,
        ip=envelope.actor.ip,
        user_agent=envelope.actor.user_agent,
        user_id=envelope.subject.user_id,
        organization_id=envelope.subject.organization_id,
        session_id=envelope.subject.session_id,
        traceparent=envelope.traceparent,
        payload_json=payload_as_json(envelope),
    )


async def record_events(
    store: AuditStore, conn: AsyncConnection, envelopes: list[Envelope]
) -> list[Envelope]:
    """Chains the envelopes' events; the envelopes chained. An event id the chain holds already
    is left out, so a redelivery is a no-op without a processed-event mark of its own."""
    by_id = {envelope.id: envelope for envelope in envelopes}
    entries = [entry_from_envelope(envelope) for envelope in by_id.values()]
    chained = await store.append(conn, entries)
    return [by_id[entry.event_id] for entry in chained]
