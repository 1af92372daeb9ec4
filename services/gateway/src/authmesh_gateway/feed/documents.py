"""The JSON shape of an audit entry at the gateway (HTTP listing, exports, the live feed) and
the curated event types of a user's own "security activity". Nothing here is a secret: events
carry none (DESIGN §3)."""

import csv
import io
import json
from collections.abc import Iterable
from datetime import UTC
from typing import Any

from google.protobuf import timestamp_pb2

from authmesh.audit.v1 import audit_pb2
from authmesh.events.v1 import envelope_pb2
from authmesh_kit.events import catalogue
from authmesh_kit.events.envelope import Envelope, payload_as_json

# What a user sees of their own account: sign-ins (and failed ones), sign-outs, new devices and
# risk decisions, and every change to a password, an address or a factor.
_SECURITY_EVENTS = (
    catalogue.SESSION_CREATED,
    catalogue.SESSION_REVOKED,
    catalogue.SIGN_IN_FAILED,
    catalogue.PASSWORD_CHANGED,
    catalogue.PASSWORD_RESET_REQUESTED,
    catalogue.PASSWORD_RESET_COMPLETED,
    catalogue.EMAIL_CHANGE_REQUESTED,
    catalogue.EMAIL_CHANGED,
    catalogue.EMAIL_VERIFIED,
    catalogue.PHONE_NUMBER_VERIFIED,
    catalogue.TWO_FACTOR_ENROLLED,
    catalogue.TWO_FACTOR_DISABLED,
    catalogue.TWO_FACTOR_FAILED,
    catalogue.TWO_FACTOR_LOCKED,
    catalogue.BACKUP_CODES_GENERATED,
    catalogue.TRUSTED_DEVICES_REVOKED,
    catalogue.PASSKEY_REGISTERED,
    catalogue.PASSKEY_DELETED,
    catalogue.PASSKEY_CLONE_SUSPECTED,
    catalogue.USER_BANNED,
    catalogue.USER_UNBANNED,
    catalogue.IMPERSONATION_STARTED,
)


def security_activity_types() -> tuple[str, ...]:
    """The curated types, and every event the risk service publishes (its decisions, new
    devices and locations)."""
    risk = (event.type for event in catalogue.CATALOGUE.values() if event.producer == "risk")
    return tuple(dict.fromkeys([*(event.type for event in _SECURITY_EVENTS), *risk]))


def _iso(stamp: timestamp_pb2.Timestamp) -> str:
    return stamp.ToDatetime(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def _document(
    *,
    event_id: str,
    event_type: str,
    occurred_at: timestamp_pb2.Timestamp,
    producer: str,
    actor: dict[str, str],
    subject: dict[str, str],
    payload_json: str,
) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "type": event_type,
        "occurredAt": _iso(occurred_at),
        "producer": producer,
        "actor": actor,
        **subject,
        "payload": json.loads(payload_json) if payload_json else {},
    }


def entry_json(entry: audit_pb2.AuditEntry) -> dict[str, Any]:
    """A stored entry, with its place in the chain."""
    document = _document(
        event_id=entry.event_id,
        event_type=entry.type,
        occurred_at=entry.occurred_at,
        producer=entry.producer,
        actor={
            "kind": entry.actor_kind,
            "userId": entry.actor_user_id,
            "ip": entry.ip,
            "userAgent": entry.user_agent,
        },
        subject={
            "userId": entry.user_id,
            "organizationId": entry.organization_id,
            "sessionId": entry.session_id,
        },
        payload_json=entry.payload_json,
    )
    document |= {
        "traceparent": entry.traceparent,
        "sequence": entry.sequence,
        "recordedAt": _iso(entry.recorded_at),
        "prevHash": entry.prev_hash,
        "hash": entry.hash,
    }
    return document


def envelope_json(envelope: Envelope) -> dict[str, Any]:
    """An event as the live feed shows it, before audit has chained it."""
    return _document(
        event_id=envelope.id,
        event_type=envelope.type,
        occurred_at=envelope.occurred_at,
        producer=envelope.producer,
        actor={
            "kind": envelope_pb2.ActorKind.Name(envelope.actor.kind),
            "userId": envelope.actor.user_id,
            "ip": envelope.actor.ip,
            "userAgent": envelope.actor.user_agent,
        },
        subject={
            "userId": envelope.subject.user_id,
            "organizationId": envelope.subject.organization_id,
            "sessionId": envelope.subject.session_id,
        },
        payload_json=payload_as_json(envelope),
    )


CSV_COLUMNS = (
    "sequence",
    "eventId",
    "type",
    "occurredAt",
    "recordedAt",
    "producer",
    "actorKind",
    "actorUserId",
    "ip",
    "userAgent",
    "userId",
    "organizationId",
    "sessionId",
    "traceparent",
    "payload",
    "prevHash",
    "hash",
)
# A cell a spreadsheet would run as a formula (OWASP "CSV injection"): user agents and payloads
# come from clients, so such a cell gets a leading apostrophe. The NDJSON export is verbatim.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def csv_rows(entries: Iterable[audit_pb2.AuditEntry], *, header: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(CSV_COLUMNS)
    for entry in entries:
        document = entry_json(entry)
        actor = document["actor"]
        row = [
            entry.sequence,
            entry.event_id,
            entry.type,
            document["occurredAt"],
            document["recordedAt"],
            entry.producer,
            actor["kind"],
            actor["userId"],
            actor["ip"],
            actor["userAgent"],
            entry.user_id,
            entry.organization_id,
            entry.session_id,
            entry.traceparent,
            json.dumps(document["payload"], separators=(",", ":"), ensure_ascii=False),
            entry.prev_hash,
            entry.hash,
        ]
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def ndjson_rows(entries: Iterable[audit_pb2.AuditEntry]) -> str:
    return "".join(
        json.dumps(entry_json(entry), separators=(",", ":"), ensure_ascii=False) + "\n"
        for entry in entries
    )
