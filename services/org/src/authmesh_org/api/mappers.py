"""proto ↔ domain for the org.v1 API, nothing else."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from google.protobuf import timestamp_pb2
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from authmesh.events.v1 import envelope_pb2
from authmesh.org.v1 import org_pb2
from authmesh_org.domain.access import Statements
from authmesh_org.domain.model import (
    CustomRole,
    Invitation,
    Member,
    Organization,
    Team,
    TeamMember,
)
from authmesh_org.domain.use_cases.common import Caller


def timestamp(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def caller(request: Any) -> Caller:
    """The acting user of a request, and the event actor (from `actor` when the request has
    one: reads carry none)."""
    actor: envelope_pb2.Actor = envelope_pb2.Actor()
    if "actor" in request.DESCRIPTOR.fields_by_name and request.HasField("actor"):
        actor.CopyFrom(request.actor)
    actor.kind = envelope_pb2.ACTOR_KIND_USER
    actor.user_id = request.actor_user_id
    return Caller(request.actor_user_id, actor)


def _names_an_id(field: FieldDescriptor) -> bool:
    name = field.name
    return name.endswith(("_id", "_ids")) or name in ("id", "slug", "role_name")


def without_nul_ids(request: Message) -> Message:
    """`request` with every id, slug or role name containing NUL made empty: no stored one can
    contain it (Postgres text cannot), and an empty one is unknown everywhere, so it answers as
    a nonexistent one instead of failing in the database."""
    scrubbed = type(request)()
    scrubbed.CopyFrom(request)
    _scrub(scrubbed)
    return scrubbed


def _scrub(message: Message) -> None:
    for field, value in message.ListFields():
        if isinstance(value, Message):  # a singular message (maps and lists hold no ids)
            _scrub(value)
        elif field.type == FieldDescriptor.TYPE_STRING and _names_an_id(field):
            if isinstance(value, str):
                if "\x00" in value:
                    setattr(message, field.name, "")
            else:
                value[:] = ["" if "\x00" in item else item for item in value]


def optional(request: Any, field: str) -> Any:
    return getattr(request, field) if request.HasField(field) else None


def statements(permissions: Mapping[str, org_pb2.PermissionActions]) -> Statements:
    return {resource: frozenset(value.actions) for resource, value in permissions.items()}


def statements_out(value: Statements) -> dict[str, org_pb2.PermissionActions]:
    return {
        resource: org_pb2.PermissionActions(actions=sorted(actions))
        for resource, actions in value.items()
    }


def organization(value: Organization) -> org_pb2.Organization:
    message = org_pb2.Organization(
        id=value.id, name=value.name, slug=value.slug, created_at=timestamp(value.created_at)
    )
    if value.logo is not None:
        message.logo = value.logo
    if value.metadata is not None:
        message.metadata_json = value.metadata
    return message


def member(value: Member) -> org_pb2.Member:
    return org_pb2.Member(
        id=value.id,
        organization_id=value.organization_id,
        user_id=value.user_id,
        role=value.role,
        created_at=timestamp(value.created_at),
    )


def invitation(value: Invitation) -> org_pb2.Invitation:
    message = org_pb2.Invitation(
        id=value.id,
        organization_id=value.organization_id,
        email=value.email,
        role=value.role,
        status=value.status,
        expires_at=timestamp(value.expires_at),
        created_at=timestamp(value.created_at),
        inviter_id=value.inviter_id,
    )
    if value.team_id is not None:
        message.team_id = value.team_id
    return message


def team(value: Team) -> org_pb2.Team:
    message = org_pb2.Team(
        id=value.id,
        name=value.name,
        organization_id=value.organization_id,
        created_at=timestamp(value.created_at),
    )
    if value.updated_at is not None:
        message.updated_at.CopyFrom(timestamp(value.updated_at))
    return message


def team_member(value: TeamMember) -> org_pb2.TeamMember:
    message = org_pb2.TeamMember(
        id=value.id,
        team_id=value.team_id,
        user_id=value.user_id,
        created_at=timestamp(value.created_at),
    )
    if value.role is not None:
        message.role = value.role
    return message


def role(value: CustomRole) -> org_pb2.OrganizationRole:
    message = org_pb2.OrganizationRole(
        id=value.id,
        organization_id=value.organization_id,
        role=value.role,
        permission=statements_out(value.permission),
        created_at=timestamp(value.created_at),
    )
    if value.updated_at is not None:
        message.updated_at.CopyFrom(timestamp(value.updated_at))
    return message
