"""Organizations: create, check a slug, update, delete, read (api.md §9.8)."""

import json
import re
from dataclasses import dataclass

from authmesh.org.v1 import org_pb2
from authmesh_kit.events import catalogue
from authmesh_kit.ids import new_id
from authmesh_org.domain import access
from authmesh_org.domain.errors import INVALID_ORGANIZATION, invalid, not_a_member, org_error
from authmesh_org.domain.events import member_added, org_event, team_member_added
from authmesh_org.domain.member_query import member_query
from authmesh_org.domain.model import (
    PENDING,
    Invitation,
    Member,
    Organization,
    OrganizationUpdate,
    Team,
    TeamMember,
)
from authmesh_org.domain.ports import OrgTransaction, OrgUnitOfWork
from authmesh_org.domain.use_cases.common import (
    Caller,
    OrgContext,
    check_organization_limit,
    locked_membership,
    require,
)

SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
MAX_NAME = 256
MAX_LOGO = 2048
MAX_METADATA = 16 * 1024


def _check_name(name: str) -> str:
    if not name.strip() or len(name) > MAX_NAME or "\x00" in name:
        raise invalid(INVALID_ORGANIZATION, f"name must be 1 to {MAX_NAME} characters")
    return name


def _check_slug(slug: str) -> str:
    if not SLUG.match(slug):
        raise invalid(
            INVALID_ORGANIZATION, "slug must be 1 to 128 letters, digits, '.', '_' or '-'"
        )
    return slug


def _check_logo(logo: str) -> str:
    if len(logo) > MAX_LOGO or "\x00" in logo:
        raise invalid(INVALID_ORGANIZATION, f"logo must be a URL of at most {MAX_LOGO} characters")
    return logo


def _check_metadata(metadata: str) -> str:
    try:
        fits = len(metadata) <= MAX_METADATA and "\x00" not in metadata
        value = json.loads(metadata) if fits else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise invalid(INVALID_ORGANIZATION, "metadata must be a JSON object of at most 16 KiB")
    return metadata


@dataclass(frozen=True)
class Created:
    organization: Organization
    member: Member
    team: Team


async def create_organization(
    uow: OrgUnitOfWork,
    ctx: OrgContext,
    caller: Caller,
    *,
    name: str,
    slug: str,
    logo: str | None,
    metadata: str | None,
) -> Created:
    _check_name(name)
    _check_slug(slug)
    if logo is not None:
        _check_logo(logo)
    if metadata is not None:
        _check_metadata(metadata)
    if not ctx.policy.allow_create:
        raise org_error("YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_ORGANIZATION")
    async with uow.begin() as tx:
        await check_organization_limit(tx, ctx, caller.user_id)
        now = await tx.now()
        organization = Organization(new_id(), name, slug, logo or None, metadata, now)
        if not await tx.insert_organization(organization):
            raise org_error("ORGANIZATION_ALREADY_EXISTS")
        member = Member(new_id(), organization.id, caller.user_id, access.CREATOR_ROLE, now)
        await tx.insert_member(member)
        team = Team(new_id(), organization.id, name, now, now)
        await tx.insert_team(team)
        await tx.insert_team_member(
            organization.id, TeamMember(new_id(), team.id, caller.user_id, None, now)
        )
        org_id = organization.id
        await tx.add_events(
            org_event(
                catalogue.ORGANIZATION_CREATED,
                org_pb2.OrganizationCreated(
                    organization_id=org_id, name=name, slug=slug, owner_user_id=caller.user_id
                ),
                organization_id=org_id,
                actor=caller.actor,
            ),
            member_added(member, caller.actor, "create"),
            org_event(
                catalogue.TEAM_CREATED,
                org_pb2.TeamCreated(organization_id=org_id, team_id=team.id, name=name),
                organization_id=org_id,
                actor=caller.actor,
            ),
            team_member_added(org_id, team.id, caller.user_id, caller.actor),
        )
    return Created(organization, member, team)


async def check_slug(uow: OrgUnitOfWork, slug: str) -> None:
    _check_slug(slug)
    async with uow.begin() as tx:
        if await tx.slug_taken(slug):
            raise org_error("ORGANIZATION_SLUG_ALREADY_TAKEN")


async def update_organization(
    uow: OrgUnitOfWork,
    ctx: OrgContext,
    caller: Caller,
    organization_id: str,
    update: OrganizationUpdate,
) -> Organization:
    if update.name is not None:
        _check_name(update.name)
    if update.slug is not None:
        _check_slug(update.slug)
    if update.logo is not None:
        _check_logo(update.logo)
    if update.metadata is not None:
        _check_metadata(update.metadata)
    async with uow.begin() as tx:
        _, member = await locked_membership(tx, organization_id, caller.user_id)
        await require(
            tx,
            ctx,
            member,
            {"organization": frozenset({"update"})},
            "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION",
        )
        updated = await tx.update_organization(organization_id, update)
        if updated is None:
            raise org_error("ORGANIZATION_SLUG_ALREADY_TAKEN")
        changed = [
            field
            for field, value in (
                ("name", update.name),
                ("slug", update.slug),
                ("logo", update.logo),
                ("metadata", update.metadata),
            )
            if value is not None
        ]
        await tx.add_events(
            org_event(
                catalogue.ORGANIZATION_UPDATED,
                org_pb2.OrganizationUpdated(
                    organization_id=organization_id, changed_fields=changed
                ),
                organization_id=organization_id,
                actor=caller.actor,
            )
        )
    return updated


async def delete_organization(
    uow: OrgUnitOfWork, ctx: OrgContext, caller: Caller, organization_id: str
) -> Organization:
    async with uow.begin() as tx:
        organization, member = await locked_membership(tx, organization_id, caller.user_id)
        await require(
            tx,
            ctx,
            member,
            {"organization": frozenset({"delete"})},
            "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION",
        )
        await delete_with_event(tx, organization, caller, reason="deleted")
    return organization


async def delete_with_event(
    tx: OrgTransaction, organization: Organization, caller: Caller, *, reason: str
) -> None:
    await tx.delete_organization(organization.id)
    await tx.add_events(
        org_event(
            catalogue.ORGANIZATION_DELETED,
            org_pb2.OrganizationDeleted(
                organization_id=organization.id, slug=organization.slug, reason=reason
            ),
            organization_id=organization.id,
            actor=caller.actor,
        )
    )


async def _find(tx: OrgTransaction, organization_id: str, slug: str) -> Organization:
    if organization_id:
        found = await tx.organization(organization_id)
    elif slug:
        found = await tx.organization_by_slug(slug)
    else:
        found = None
    if found is None:
        raise not_a_member()
    return found


async def get_membership(
    uow: OrgUnitOfWork,
    caller: Caller,
    *,
    organization_id: str = "",
    slug: str = "",
    user_id: str | None = None,
) -> tuple[Organization, Member]:
    async with uow.begin() as tx:
        organization = await _find(tx, organization_id, slug)
        mine = await tx.member(organization.id, caller.user_id)
        if mine is None:
            raise not_a_member()
        if user_id is None or user_id == caller.user_id:
            return organization, mine
        theirs = await tx.member(organization.id, user_id)
        if theirs is None:
            raise org_error("MEMBER_NOT_FOUND")
        return organization, theirs


@dataclass(frozen=True)
class FullOrganization:
    organization: Organization
    members: list[Member]
    invitations: list[Invitation]
    teams: list[Team]


async def get_full_organization(
    uow: OrgUnitOfWork,
    ctx: OrgContext,
    caller: Caller,
    *,
    organization_id: str = "",
    slug: str = "",
    members_limit: int | None = None,
) -> FullOrganization:
    limit = members_limit if members_limit and members_limit > 0 else ctx.policy.membership_limit
    query = member_query(
        limit=min(limit, 1000),
        offset=None,
        sort_by=None,
        sort_direction=None,
        filter_field=None,
        filter_operator=None,
        filter_value=None,
    )
    async with uow.begin() as tx:
        organization = await _find(tx, organization_id, slug)
        if await tx.member(organization.id, caller.user_id) is None:
            raise not_a_member()
        now = await tx.now()
        found, _ = await tx.list_members(organization.id, query)
        invitations = [
            invitation
            for invitation in await tx.invitations_of(organization.id)
            if invitation.status == PENDING and invitation.expires_at > now
        ]
        teams = await tx.teams_of(organization.id)
    return FullOrganization(organization, found, invitations, teams)


async def list_organizations(uow: OrgUnitOfWork, caller: Caller) -> list[Organization]:
    async with uow.begin() as tx:
        return await tx.organizations_of(caller.user_id)
