"""Organizations, members, invitations, teams and roles in Better-Auth's JSON shape (api.md §8):
its key order (as the peer answers), ISO dates with milliseconds, `null` for absent optional
columns. User data is identity's: a member's `user` comes from one batch lookup per answer
(`UserDirectory`), never from one call per member."""

import json
from collections.abc import Iterable, Mapping
from datetime import UTC
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from authmesh.identity.v1 import identity_pb2
from authmesh.org.v1 import org_pb2
from authmesh_gateway.clients.identity import IdentityClient
from authmesh_gateway.wire.dates import iso_date


def _date(stamp: Timestamp) -> str:
    return iso_date(stamp.ToDatetime(tzinfo=UTC))


def _optional(message: Any, field: str) -> Any:
    return getattr(message, field) if message.HasField(field) else None


def parsed_metadata(organization: org_pb2.Organization) -> Any:
    """The metadata as the JSON value it was given (create and update answer it so)."""
    if not organization.HasField("metadata_json"):
        return None
    return json.loads(organization.metadata_json)


def organization_json(
    organization: org_pb2.Organization, *, parse_metadata: bool = False
) -> dict[str, Any]:
    """As stored, `metadata` is a JSON string (or null); create and update answer it parsed."""
    metadata = (
        parsed_metadata(organization)
        if parse_metadata
        else _optional(organization, "metadata_json")
    )
    return {
        "name": organization.name,
        "slug": organization.slug,
        "logo": _optional(organization, "logo"),
        "createdAt": _date(organization.created_at),
        "metadata": metadata,
        "id": organization.id,
    }


def member_json(member: org_pb2.Member) -> dict[str, Any]:
    return {
        "organizationId": member.organization_id,
        "userId": member.user_id,
        "role": member.role,
        "createdAt": _date(member.created_at),
        "id": member.id,
    }


def invitation_json(invitation: org_pb2.Invitation) -> dict[str, Any]:
    return {
        "organizationId": invitation.organization_id,
        "email": invitation.email,
        "role": invitation.role,
        "teamId": _optional(invitation, "team_id"),
        "status": invitation.status,
        "expiresAt": _date(invitation.expires_at),
        "createdAt": _date(invitation.created_at),
        "inviterId": invitation.inviter_id,
        "id": invitation.id,
    }


def team_json(team: org_pb2.Team) -> dict[str, Any]:
    return {
        "name": team.name,
        "organizationId": team.organization_id,
        "createdAt": _date(team.created_at),
        "updatedAt": _date(team.updated_at) if team.HasField("updated_at") else None,
        "id": team.id,
    }


def team_member_json(member: org_pb2.TeamMember) -> dict[str, Any]:
    found = {
        "teamId": member.team_id,
        "userId": member.user_id,
        "createdAt": _date(member.created_at),
        "id": member.id,
    }
    if member.HasField("role"):  # Authmesh's team-scoped roles; absent in Better-Auth
        found["role"] = member.role
    return found


def role_json(role: org_pb2.OrganizationRole) -> dict[str, Any]:
    """A custom role (Better-Auth's dynamic access control `organizationRole`)."""
    return {
        "id": role.id,
        "organizationId": role.organization_id,
        "role": role.role,
        "permission": {
            resource: list(actions.actions) for resource, actions in role.permission.items()
        },
        "createdAt": _date(role.created_at),
        "updatedAt": _date(role.updated_at) if role.HasField("updated_at") else None,
    }


def member_user_json(user: identity_pb2.User) -> dict[str, Any]:
    """The user part of a listed member: `{id, name, email, image}`."""
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "image": _optional(user, "image"),
    }


class UserDirectory:
    """The users an answer needs, fetched from identity in one call."""

    def __init__(self, users: Mapping[str, identity_pb2.User]) -> None:
        self._users = users

    @classmethod
    async def of(cls, identity: IdentityClient, user_ids: Iterable[str]) -> "UserDirectory":
        wanted = sorted(set(user_ids))
        users = await identity.lookup_users(user_ids=wanted) if wanted else []
        return cls({user.id: user for user in users})

    def get(self, user_id: str) -> identity_pb2.User | None:
        return self._users.get(user_id)

    def member_json(self, member: org_pb2.Member) -> dict[str, Any]:
        """A member with its user; a user deleted a moment ago (identity no longer has it,
        the org service not yet told) shows as null rather than failing the listing."""
        user = self._users.get(member.user_id)
        return member_json(member) | {"user": member_user_json(user) if user else None}

    def members_json(self, members: Iterable[org_pb2.Member]) -> list[dict[str, Any]]:
        return [self.member_json(member) for member in members]
