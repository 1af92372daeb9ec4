"""Domain objects to and from identity.v1 messages; nothing else."""

from datetime import datetime
from typing import Any

from google.protobuf import timestamp_pb2

from authmesh.events.v1 import envelope_pb2
from authmesh.identity.v1 import identity_pb2
from authmesh_identity.domain.model import User


def actor_of(request: Any) -> envelope_pb2.Actor | None:
    """The request's `actor`, when it has one."""
    return request.actor if request.HasField("actor") else None


def optional_field(request: Any, field: str) -> str | None:
    """An `optional string` field: None when unset, so that "" stays a value."""
    return getattr(request, field) if request.HasField(field) else None


def _timestamp(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def user_to_proto(user: User) -> identity_pb2.User:
    message = identity_pb2.User(
        id=user.id,
        name=user.name,
        email=user.email,
        email_verified=user.email_verified,
        created_at=_timestamp(user.created_at),
        updated_at=_timestamp(user.updated_at),
        two_factor_enabled=user.two_factor_enabled,
        phone_number_verified=user.phone_number_verified,
        role=user.role,
        banned=user.banned,
    )
    for field in ("image", "username", "display_username", "phone_number", "ban_reason"):
        value = getattr(user, field)
        if value is not None:
            setattr(message, field, value)
    if user.ban_expires is not None:
        message.ban_expires.CopyFrom(_timestamp(user.ban_expires))
    return message
