"""Audit entries to audit.v1 messages."""

from google.protobuf import timestamp_pb2

from authmesh.audit.v1 import audit_pb2
from authmesh_audit.domain.model import AuditEntry


def entry_to_proto(entry: AuditEntry) -> audit_pb2.AuditEntry:
    occurred_at = timestamp_pb2.Timestamp()
    occurred_at.FromDatetime(entry.occurred_at)
    return audit_pb2.AuditEntry(
        event_id=entry.event_id,
        type=entry.type,
        occurred_at=occurred_at,
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
    )
