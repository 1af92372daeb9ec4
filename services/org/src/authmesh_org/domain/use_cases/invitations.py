"""Invitations: invite (and resend), read, accept, reject, cancel, list.

An invitation is bound to the invited address: only a user whose verified email matches it
(case-insensitively) may read, accept or reject it. Accepting is one conditional UPDATE
(pending → accepted) in the transaction that adds the member, so it happens once.
"""

import re
from dataclasses import dataclass

from google.protobuf import timestamp_pb2

from authmesh.org.v1 import org_pb2
from authmesh_kit.events import catalogue
from authmesh_kit.ids import new_id
from authmesh_org.domain import messages
from authmesh_org.domain.errors import INVALID_EMAIL, invalid, org_error
from authmesh_org.domain.events import member_added, org_event, team_member_added
from authmesh_org.domain.model import (
    ACCEPTED,
    CANCELED,
    PENDING,
    REJECTED,
    Invitation,
    Member,
    Organization,
    TeamMember,
)
from authmesh_org.domain.ports import OrgTransaction, OrgUnitOfWork
from authmesh_org.domain.use_cases.common import (
    Caller,
    OrgContext,
    assignable_roles,
    check_organization_limit,
    locked_membership,
    membership,
    new_invitation_id,
    require,
)

EMAIL = re.compile(r"^[^@\s,\x00]+@[^@\s,\x00]+\.[^@\s,\x00]+$")
MAX_EMAIL = 254


@dataclass(frozen=True)
class Recipient:
    """The signed-in user reading or answering an invitation, with identity's view of their
    address."""

    caller: Caller
    email: str
    email_verified: bool


def _normalized_email(email: str) -> str:
    if len(email) > MAX_EMAIL or not EMAIL.match(email):
        raise invalid(INVALID_EMAIL, "Invalid email")
    return email.lower()


async def create_invitation(
    uow: OrgUnitOfWork,
    ctx: OrgContext,
    caller: Caller,
    *,
    organization_id: str,
    email: str,
    roles: list[str],
    team_ids: list[str],
    resend: bool,
    invitee_user_id: str | None,
    inviter_name: str,
    inviter_email: str,
) -> Invitation:
    address = _normalized_email(email)
    async with uow.begin() as tx:
        organization, actor = await locked_membership(tx, organization_id, caller.user_id)
        await require(
            tx,
            ctx,
            actor,
            {"invitation": frozenset({"create"})},
            "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION",
        )
        role = await assignable_roles(
            tx,
            ctx,
            actor,
            roles,
            unknown="ROLE_NOT_FOUND",
            refusal="YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE",
        )
        if invitee_user_id and await tx.member(organization_id, invitee_user_id):
            raise org_error("USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION")
        teams = list(dict.fromkeys(team_ids))
        for team_id in teams:
            team = await tx.team(team_id)
            if team is None or team.organization_id != organization_id:
                raise org_error("TEAM_NOT_FOUND")
        team_field = ",".join(teams) or None
        now = await tx.now()
        expires_at = now + ctx.policy.invitation_lifetime
        pending = await tx.pending_invitation(organization_id, address)
        if pending is not None and not resend:
            raise org_error("USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION")
        if pending is not None:
            invitation = await tx.renew_invitation(pending.id, role, team_field, expires_at)
        else:
            if await tx.count_pending_invitations(organization_id) >= ctx.policy.invitation_limit:
                raise org_error("INVITATION_LIMIT_REACHED")
            if await tx.count_members(organization_id) >= ctx.policy.membership_limit:
                raise org_error("ORGANIZATION_MEMBERSHIP_LIMIT_REACHED")
            invitation = Invitation(
                id=new_invitation_id(),
                organization_id=organization_id,
                email=address,
                role=role,
                team_id=team_field,
                status=PENDING,
                expires_at=expires_at,
                created_at=now,
                inviter_id=caller.user_id,
            )
            await tx.insert_invitation(invitation)
        await tx.add_events(
            org_event(
                catalogue.INVITATION_CREATED,
                org_pb2.InvitationCreated(
                    organization_id=organization_id,
                    invitation_id=invitation.id,
                    email=address,
                    role=role,
                    resent=pending is not None,
                    expires_at=_stamp(invitation),
                ),
                organization_id=organization_id,
                actor=caller.actor,
            )
        )
        await tx.add_messages(
            messages.invitation(
                invitation,
                organization,
                url=ctx.invitation_url(invitation.id),
                inviter_name=inviter_name,
                inviter_email=inviter_email,
            )
        )
    return invitation


def _stamp(invitation: Invitation) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(invitation.expires_at)
    return stamp


async def _addressed_to(
    tx: OrgTransaction, invitation_id: str, recipient: Recipient, *, verified_reason: str
) -> Invitation:
    """The live invitation, when `recipient` is the one it was sent to."""
    invitation = await tx.invitation(invitation_id) if invitation_id else None
    now = await tx.now()
    if invitation is None or invitation.status != PENDING or invitation.expires_at <= now:
        raise org_error("INVITATION_NOT_FOUND")
    if invitation.email != recipient.email.lower():
        raise org_error("YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION")
    if not recipient.email_verified:
        raise org_error(verified_reason)
    return invitation


async def get_invitation(
    uow: OrgUnitOfWork, recipient: Recipient, invitation_id: str
) -> tuple[Invitation, Organization]:
    async with uow.begin() as tx:
        invitation = await _addressed_to(
            tx,
            invitation_id,
            recipient,
            verified_reason="EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION",
        )
        organization = await tx.organization(invitation.organization_id)
        if organization is None:
            raise org_error("INVITATION_NOT_FOUND")
    return invitation, organization


@dataclass(frozen=True)
class Accepted:
    invitation: Invitation
    member: Member
    team_id: str | None


async def accept_invitation(
    uow: OrgUnitOfWork, ctx: OrgContext, recipient: Recipient, invitation_id: str
) -> Accepted:
    caller = recipient.caller
    verified = "EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION"
    async with uow.begin() as tx:
        invitation = await _addressed_to(tx, invitation_id, recipient, verified_reason=verified)
        organization_id = invitation.organization_id
        if await tx.lock_organization(organization_id) is None:
            raise org_error("INVITATION_NOT_FOUND")
        settled = await tx.settle_invitation(invitation.id, ACCEPTED)
        if settled is None:  # a concurrent accept, reject or cancel came first
            raise org_error("INVITATION_NOT_FOUND")
        if await tx.member(organization_id, caller.user_id) is not None:
            raise org_error("USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION")
        if await tx.count_members(organization_id) >= ctx.policy.membership_limit:
            raise org_error("ORGANIZATION_MEMBERSHIP_LIMIT_REACHED")
        await check_organization_limit(tx, ctx, caller.user_id)
        now = await tx.now()
        member = Member(new_id(), organization_id, caller.user_id, settled.role, now)
        await tx.insert_member(member)
        events = [
            org_event(
                catalogue.INVITATION_ACCEPTED,
                org_pb2.InvitationAccepted(
                    organization_id=organization_id,
                    invitation_id=settled.id,
                    user_id=caller.user_id,
                    member_id=member.id,
                ),
                organization_id=organization_id,
                actor=caller.actor,
            ),
            member_added(member, caller.actor, "invitation"),
        ]
        joined = await _join_teams(tx, ctx, settled, caller.user_id)
        events += [
            team_member_added(organization_id, team_id, caller.user_id, caller.actor)
            for team_id in joined
        ]
        await tx.add_events(*events)
    return Accepted(settled, member, joined[0] if joined else None)


async def _join_teams(
    tx: OrgTransaction, ctx: OrgContext, invitation: Invitation, user_id: str
) -> list[str]:
    """The invitation's teams that still exist and have room, joined."""
    joined = []
    for team_id in filter(None, (invitation.team_id or "").split(",")):
        team = await tx.team(team_id)
        if team is None or team.organization_id != invitation.organization_id:
            continue
        if await tx.count_team_members(team_id) >= ctx.policy.maximum_members_per_team:
            raise org_error("TEAM_MEMBER_LIMIT_REACHED")
        now = await tx.now()
        await tx.insert_team_member(
            invitation.organization_id, TeamMember(new_id(), team_id, user_id, None, now)
        )
        joined.append(team_id)
    return joined


async def reject_invitation(
    uow: OrgUnitOfWork, recipient: Recipient, invitation_id: str
) -> Invitation:
    verified = "EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION"
    async with uow.begin() as tx:
        invitation = await _addressed_to(tx, invitation_id, recipient, verified_reason=verified)
        settled = await tx.settle_invitation(invitation.id, REJECTED)
        if settled is None:
            raise org_error("INVITATION_NOT_FOUND")
        await tx.add_events(
            org_event(
                catalogue.INVITATION_REJECTED,
                org_pb2.InvitationRejected(
                    organization_id=settled.organization_id,
                    invitation_id=settled.id,
                    user_id=recipient.caller.user_id,
                ),
                organization_id=settled.organization_id,
                actor=recipient.caller.actor,
            )
        )
    return settled


async def cancel_invitation(
    uow: OrgUnitOfWork, ctx: OrgContext, caller: Caller, invitation_id: str
) -> Invitation:
    async with uow.begin() as tx:
        invitation = await tx.invitation(invitation_id) if invitation_id else None
        if invitation is None:
            raise org_error("INVITATION_NOT_FOUND")
        actor = await tx.member(invitation.organization_id, caller.user_id)
        if actor is None:  # another organization's invitation: as if it did not exist
            raise org_error("INVITATION_NOT_FOUND")
        await require(
            tx,
            ctx,
            actor,
            {"invitation": frozenset({"cancel"})},
            "YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION",
        )
        settled = await tx.settle_invitation(invitation.id, CANCELED)
        if settled is None:
            raise org_error("INVITATION_NOT_FOUND")
        await tx.add_events(
            org_event(
                catalogue.INVITATION_CANCELED,
                org_pb2.InvitationCanceled(
                    organization_id=settled.organization_id, invitation_id=settled.id
                ),
                organization_id=settled.organization_id,
                actor=caller.actor,
            )
        )
    return settled


async def list_invitations(
    uow: OrgUnitOfWork, caller: Caller, organization_id: str
) -> list[Invitation]:
    async with uow.begin() as tx:
        await membership(tx, organization_id, caller.user_id)
        return await tx.invitations_of(organization_id)


async def list_user_invitations(
    uow: OrgUnitOfWork, recipient: Recipient
) -> list[tuple[Invitation, Organization]]:
    if not recipient.email_verified:
        raise org_error("EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION")
    found: list[tuple[Invitation, Organization]] = []
    if "\x00" in recipient.email:  # no invitation is addressed to it
        return found
    async with uow.begin() as tx:
        for invitation in await tx.pending_invitations_to(recipient.email.lower()):
            organization = await tx.organization(invitation.organization_id)
            if organization is not None:
                found.append((invitation, organization))
    return found
