"""Messages for the notify service: built by the service that owns the secret, sealed with the
key ring, written to its outbox in the same transaction as the secret itself, and delivered
from the NOTIFY work queue (DESIGN §3). Nothing readable of them ever rests in NATS or in an
outbox row."""

from collections.abc import Mapping
from datetime import datetime

from google.protobuf import timestamp_pb2

from authmesh.notify.v1 import notify_pb2
from authmesh_kit.crypto.key_ring import KeyRing, Sealed
from authmesh_kit.ids import new_id
from authmesh_kit.observability.tracing import current_traceparent

Channel = notify_pb2.Channel
Message = notify_pb2.Message
EMAIL = notify_pb2.CHANNEL_EMAIL
SMS = notify_pb2.CHANNEL_SMS

_CHANNEL_NAMES = {EMAIL: "email", SMS: "sms"}
_CONTEXT = b"authmesh.notify.v1.Message"


def build_message(
    type_: str,
    *,
    channel: "notify_pb2.Channel.ValueType",
    to: str,
    expires_at: datetime,
    fields: Mapping[str, str],
    user_id: str = "",
    locale: str = "",
) -> notify_pb2.Message:
    expiry = timestamp_pb2.Timestamp()
    expiry.FromDatetime(expires_at)
    return notify_pb2.Message(
        id=new_id(),
        type=type_,
        channel=channel,
        to=to,
        expires_at=expiry,
        fields=dict(fields),
        locale=locale,
        traceparent=current_traceparent(),
        user_id=user_id,
    )


def message_subject(namespace: str, message: notify_pb2.Message) -> str:
    """`<namespace>.notify.<channel>.<type>`: inside the NOTIFY stream's subjects."""
    return f"{namespace}.notify.{_CHANNEL_NAMES[message.channel]}.{message.type}"


def seal_message(key_ring: KeyRing, message: notify_pb2.Message) -> bytes:
    sealed = key_ring.seal(message.SerializeToString(), _CONTEXT)
    return notify_pb2.SealedMessage(
        key_id=sealed.key_id, nonce=sealed.nonce, ciphertext=sealed.ciphertext
    ).SerializeToString()


def open_message(key_ring: KeyRing, data: bytes) -> notify_pb2.Message:
    """Raises UndecryptableError or DecodeError for anything not sealed by this key ring."""
    sealed = notify_pb2.SealedMessage.FromString(data)
    plaintext = key_ring.open(Sealed(sealed.key_id, sealed.nonce, sealed.ciphertext), _CONTEXT)
    return notify_pb2.Message.FromString(plaintext)
