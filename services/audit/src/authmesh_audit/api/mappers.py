"""audit.v1 messages to domain objects and back."""

from datetime import UTC, datetime

from google.protobuf import timestamp_pb2

from authmesh.audit.v1 import audit_pb2
from authmesh_audit.domain.model import ChainedEntry, EventFilter, Verification


def _timestamp(moment: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def entry_to_proto(chained: ChainedEntry) -> audit_pb2.AuditEntry:
    entry = chained.entry
    return audit_pb2.AuditEntry(
        event_id=entry.event_id,
        type=entry.type,
        occurred_at=_timestamp(entry.occurred_at),
        producer=entry.producer,
        actor_kind=entry.actor_kind,
        actor_user_id=entry.actor_user_id,
        ip=entry.ip,
        user_agent=entry.user_agent,
        user_id=entry.user_id,
        organization_id=entry.organization_id,
        session_id=entry.session_id,
        traceparent=entry.traceparent,
        payload_json=entry.payload_json,
        sequence=chained.sequence,
        recorded_at=_timestamp(chained.recorded_at),
        prev_hash=chained.prev_hash,
        hash=chained.hash,
    )


def filter_from_proto(message: audit_pb2.EventFilter, user_id: str = "") -> EventFilter:
    return EventFilter(
        user_id=message.user_id or user_id,
        organization_id=message.organization_id,
        types=tuple(dict.fromkeys(message.types)),
        ip=message.ip,
        occurred_from=(
            message.occurred_from.ToDatetime(tzinfo=UTC)
            if message.HasField("occurred_from")
            else None
        ),
        occurred_to=(
            message.occurred_to.ToDatetime(tzinfo=UTC) if message.HasField("occurred_to") else None
        ),
    )


def verification_to_proto(result: Verification) -> audit_pb2.VerifyChainResponse:
    return audit_pb2.VerifyChainResponse(
        ok=result.ok,
        checked=result.checked,
        anchor_sequence=result.anchor.sequence,
        last_sequence=result.last_sequence,
        broken_sequence=result.broken_sequence,
        broken_event_id=result.broken_event_id,
        problem=result.problem,
        detail=result.detail,
    )
