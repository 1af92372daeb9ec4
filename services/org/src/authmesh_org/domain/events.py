"""Events of organizations (auth.org.*), built from the kit's catalogue. Each names the
organization in the envelope's subject ids (and the user it is about, else the actor), so that
audit indexes it and every org replica's permission cache drops that organization's entries.
None carries a secret: an invitation's id (its accept link) stays out of the envelope's subject."""

from google.protobuf.message import Message

from authmesh.org.v1 import org_pb2
from authmesh_kit.events import catalogue
from authmesh_kit.events.catalogue import EventType
from authmesh_kit.events.envelope import Actor, Envelope, build_envelope
from authmesh_org.domain.model import Member


def org_event(
    event: EventType,
    payload: Message,
    *,
    organization_id: str,
    actor: Actor | None,
    user_id: str = "",
) -> Envelope:
    subject_user = user_id or (actor.user_id if actor is not None else "")
    return build_envelope(
        event, payload, actor=actor, user_id=subject_user, organization_id=organization_id
    )


def member_added(member: Member, actor: Actor | None, via: str) -> Envelope:
    """`member` joined its organization, `via` how ("create", "invitation")."""
    return org_event(
        catalogue.MEMBER_ADDED,
        org_pb2.MemberAdded(
            organization_id=member.organization_id,
            member_id=member.id,
            user_id=member.user_id,
            role=member.role,
            via=via,
        ),
        organization_id=member.organization_id,
        actor=actor,
        user_id=member.user_id,
    )


def team_member_added(
    organization_id: str, team_id: str, user_id: str, actor: Actor | None
) -> Envelope:
    return org_event(
        catalogue.TEAM_MEMBER_ADDED,
        org_pb2.TeamMemberAdded(organization_id=organization_id, team_id=team_id, user_id=user_id),
        organization_id=organization_id,
        actor=actor,
        user_id=user_id,
    )
