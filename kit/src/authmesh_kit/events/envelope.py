"""Building and reading event envelopes (authmesh.events.v1.Envelope)."""

from datetime import UTC, datetime

from google.protobuf import any_pb2, json_format, timestamp_pb2
from google.protobuf.message import Message

from authmesh.events.v1 import envelope_pb2
from authmesh_kit.events.catalogue import CATALOGUE, EventType
from authmesh_kit.ids import new_id
from authmesh_kit.observability.tracing import current_traceparent

Actor = envelope_pb2.Actor
ActorKind = envelope_pb2.ActorKind
Envelope = envelope_pb2.Envelope


def build_envelope(
    event: EventType,
    payload: Message,
    *,
    actor: envelope_pb2.Actor | None = None,
    user_id: str = "",
    organization_id: str = "",
    session_id: str = "",
) -> envelope_pb2.Envelope:
    """A new envelope in the active trace; `payload` must be the event type's message."""
    if not isinstance(payload, event.payload):
        raise TypeError(f"{event.type} carries {event.payload.__name__}")
    packed = any_pb2.Any()
    packed.Pack(payload)
    occurred_at = timestamp_pb2.Timestamp()
    occurred_at.FromDatetime(datetime.now(UTC))
    return envelope_pb2.Envelope(
        id=new_id(),
        type=event.type,
        occurred_at=occurred_at,
        actor=actor or envelope_pb2.Actor(kind=envelope_pb2.ACTOR_KIND_SYSTEM),
        subject=envelope_pb2.SubjectIds(
            user_id=user_id, organization_id=organization_id, session_id=session_id
        ),
        traceparent=current_traceparent(),
        producer=event.producer,
        payload=packed,
    )


def payload_as_json(envelope: envelope_pb2.Envelope) -> str:
    """The payload as JSON for storage and display; unknown types keep their raw type URL."""
    event = CATALOGUE.get(envelope.type)
    if event is None:
        return json_format.MessageToJson(envelope.payload, indent=None)
    message = event.payload()
    envelope.payload.Unpack(message)
    return json_format.MessageToJson(message, indent=None, preserving_proto_field_name=True)


def unpack(envelope: envelope_pb2.Envelope, event: EventType) -> Message:
    message = event.payload()
    if not envelope.payload.Unpack(message):
        raise ValueError(f"payload of {envelope.id} is not {event.type}")
    return message
