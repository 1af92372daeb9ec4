"""Better-Auth's organization plugin through the gateway (api.md §9.8): every endpoint with the
1.7.25 peer's bodies and codes, the session's active organization and team (stored by the
session service, shown by get-session at once), cross-organization probes answered exactly like
nonexistent ids, escalation attempts by a plain member and by an admin, and bad input answered
400 in Better-Auth's format, never 500. Also the two RPCs the gateway added for it: identity's
LookupUsers and the session service's SetActiveOrganization with its cache eviction.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
import pytest

from authmesh.identity.v1 import identity_pb2, identity_pb2_grpc
from authmesh.session.v1 import session_pb2, session_pb2_grpc
from authmesh_kit.grpc.service_auth import ServiceTokenIssuer
from authmesh_kit.stack.supervisor import Stack
from tests.conftest import browser, unique_email
from tests.mailbox import Mailbox
from tests.responses import answer, cookie_names, error
from tests.waiting import eventually

pytestmark = pytest.mark.integration

AUTH = "/api/auth"
ORG = f"{AUTH}/organization"
PASSWORD = "correct horse battery"
TOKEN = "better-auth.session_token"
DATA = "better-auth.session_data"
NONEXISTENT = "no-such-id-" + "x" * 21


def metadata_for(stack: Stack, caller: str, callee: str) -> tuple[tuple[str, str], ...]:
    token = ServiceTokenIssuer(caller, stack.plan.key_pairs[caller][0]).token_for(callee)
    return (("authorization", f"Bearer {token}"),)


@dataclass
class Person:
    http: httpx.AsyncClient
    user: dict[str, Any]
    token: str

    @property
    def id(self) -> str:
        return str(self.user["id"])

    @property
    def email(self) -> str:
        return str(self.user["email"])

    async def get(self, path: str, **params: Any) -> tuple[int, Any]:
        return answer(await self.http.get(f"{ORG}/{path}", params=params))

    async def post(self, path: str, body: Any) -> tuple[int, Any]:
        return answer(await self.http.post(f"{ORG}/{path}", json=body))

    async def session(self) -> dict[str, Any]:
        response = await self.http.get(f"{AUTH}/get-session")
        assert response.status_code == 200, response.text
        return dict(response.json()["session"])


@asynccontextmanager
async def person(stack: Stack, mail: Mailbox | None = None) -> AsyncIterator[Person]:
    """A signed-up user; with `mail`, one whose address is verified (the link mailed)."""
    async with browser(stack) as http:
        email = unique_email()
        response = await http.post(
            f"{AUTH}/sign-up/email", json={"name": "Ada", "email": email, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        user, token = response.json()["user"], response.json()["token"]
        if mail is not None:
            message = await mail.next(email, "verify-email")
            verified = await http.get(
                f"{AUTH}/verify-email", params={"token": message.fields["token"]}
            )
            assert verified.status_code == 200, verified.text
            user = (await http.get(f"{AUTH}/get-session")).json()["user"]
            assert user["emailVerified"] is True
            token = str(verified.cookies.get(TOKEN) or token).split(".")[0]
        yield Person(http, user, token)


async def new_organization(owner: Person, name: str = "Acme") -> dict[str, Any]:
    slug = f"{name.lower()}-{uuid.uuid4().hex[:10]}"
    status, body = await owner.post("create", {"name": name, "slug": slug})
    assert status == 200, body
    return dict(body)


async def invite_and_accept(
    owner: Person, invitee: Person, mail: Mailbox, organization_id: str, role: str = "member"
) -> dict[str, Any]:
    """`invitee` (verified) joins by the mailed invitation; their new member object."""
    status, invitation = await owner.post(
        "invite-member", {"email": invitee.email, "role": role, "organizationId": organization_id}
    )
    assert status == 200, invitation
    message = await mail.next(invitee.email, "organization-invitation")
    assert message.fields["invitationId"] == invitation["id"]
    status, accepted = await invitee.post("accept-invitation", {"invitationId": invitation["id"]})
    assert status == 200, accepted
    return dict(accepted["member"])


# --- identity.LookupUsers and session.SetActiveOrganization -----------------------------------


async def test_identity_looks_users_up_by_id_and_email_in_one_call(stack: Stack) -> None:
    async with (
        person(stack) as ada,
        person(stack) as bob,
        grpc.aio.insecure_channel(stack.addr("identity")) as channel,
    ):
        stub = identity_pb2_grpc.IdentityServiceStub(channel)
        gateway = metadata_for(stack, "gateway", "identity")
        found = await stub.LookupUsers(
            identity_pb2.LookupUsersRequest(
                user_ids=[ada.id, NONEXISTENT, ada.id],
                emails=[bob.email.upper(), ada.email, "nobody@example.test"],
            ),
            metadata=gateway,
            timeout=5,
        )
        assert sorted(user.id for user in found.users) == sorted([ada.id, bob.id])
        empty = await stub.LookupUsers(
            identity_pb2.LookupUsersRequest(), metadata=gateway, timeout=5
        )
        assert list(empty.users) == []
        with pytest.raises(grpc.aio.AioRpcError) as too_many:
            await stub.LookupUsers(
                identity_pb2.LookupUsersRequest(user_ids=[str(n) for n in range(1001)]),
                metadata=gateway,
                timeout=5,
            )
        assert too_many.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.LookupUsers(
                identity_pb2.LookupUsersRequest(user_ids=[ada.id]),
                metadata=metadata_for(stack, "mfa", "identity"),
                timeout=5,
            )
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_a_new_active_organization_reaches_every_gateways_cache_by_event(
    stack: Stack,
) -> None:
    """The session service's update alone (no gateway evicting its own entry) shows in
    get-session: auth.session.session.updated evicts the cached answer."""
    async with person(stack) as ada:
        assert (await ada.session())["activeOrganizationId"] is None  # now cached
        async with grpc.aio.insecure_channel(stack.addr("session")) as channel:
            stub = session_pb2_grpc.SessionServiceStub(channel)
            gateway = metadata_for(stack, "gateway", "session")
            updated = await stub.SetActiveOrganization(
                session_pb2.SetActiveOrganizationRequest(
                    token=ada.token,
                    organization=session_pb2.ActiveChoice(id="org-1"),
                    team=session_pb2.ActiveChoice(id="team-1"),
                ),
                metadata=gateway,
                timeout=5,
            )
            assert (updated.session.active_organization_id, updated.session.active_team_id) == (
                "org-1",
                "team-1",
            )
            seen = await eventually(
                ada.session, lambda session: session["activeOrganizationId"] == "org-1"
            )
            assert (seen["activeOrganizationId"], seen["activeTeamId"]) == ("org-1", "team-1")
            # An absent choice keeps its column; an empty one clears it.
            cleared = await stub.SetActiveOrganization(
                session_pb2.SetActiveOrganizationRequest(
                    token=ada.token, team=session_pb2.ActiveChoice()
                ),
                metadata=gateway,
                timeout=5,
            )
            assert cleared.session.active_organization_id == "org-1"
            assert not cleared.session.HasField("active_team_id")
            with pytest.raises(grpc.aio.AioRpcError) as unknown:
                await stub.SetActiveOrganization(
                    session_pb2.SetActiveOrganizationRequest(
                        token="x" * 32, organization=session_pb2.ActiveChoice(id="o")
                    ),
                    metadata=gateway,
                    timeout=5,
                )
            assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
            with pytest.raises(grpc.aio.AioRpcError) as too_long:
                await stub.SetActiveOrganization(
                    session_pb2.SetActiveOrganizationRequest(
                        token=ada.token, organization=session_pb2.ActiveChoice(id="o" * 256)
                    ),
                    metadata=gateway,
                    timeout=5,
                )
            assert too_long.value.code() == grpc.StatusCode.INVALID_ARGUMENT


# --- the lifecycle ----------------------------------------------------------------------------


async def test_organization_lifecycle_with_the_peers_bodies(stack: Stack, mail: Mailbox) -> None:
    async with person(stack, mail) as owner, person(stack, mail) as bob:
        slug = f"acme-{uuid.uuid4().hex[:10]}"
        assert await owner.post("check-slug", {"slug": slug}) == (200, {"status": True})
        status, created = await owner.post(
            "create", {"name": "Acme", "slug": slug, "metadata": {"k": 1}}
        )
        assert status == 200, created
        assert list(created) == ["name", "slug", "logo", "createdAt", "metadata", "id", "members"]
        assert (created["name"], created["slug"], created["logo"]) == ("Acme", slug, None)
        assert created["metadata"] == {"k": 1}
        [owner_member] = created["members"]
        assert list(owner_member) == ["organizationId", "userId", "role", "createdAt", "id"]
        assert (owner_member["userId"], owner_member["role"]) == (owner.id, "owner")
        org_id = created["id"]
        # Active in the session service at once (get-session), with the default team.
        session = await owner.session()
        assert session["activeOrganizationId"] == org_id
        default_team_id = session["activeTeamId"]
        assert default_team_id
        assert await owner.post("check-slug", {"slug": slug}) == (
            400,
            error("ORGANIZATION_SLUG_ALREADY_TAKEN", "Organization slug already taken"),
        )
        assert await owner.post("create", {"name": "Again", "slug": slug}) == (
            400,
            error("ORGANIZATION_ALREADY_EXISTS", "Organization already exists"),
        )
        status, listed = await owner.get("list")
        assert status == 200 and [each["id"] for each in listed] == [org_id]
        assert listed[0]["metadata"] == '{"k":1}'  # JSON.stringify, as Better-Auth stores it
        assert (await owner.get("get-organization"))[1]["id"] == org_id

        # set-active re-sets the session cookies, as Better-Auth does.
        response = await owner.http.post(f"{ORG}/set-active", json={"organizationSlug": slug})
        assert response.status_code == 200 and response.json()["id"] == org_id
        assert TOKEN in cookie_names(response) and DATA in cookie_names(response)

        status, updated = await owner.post(
            "update", {"data": {"name": "Acme 2", "metadata": {"z": 2}}}
        )
        assert status == 200 and (updated["name"], updated["metadata"]) == ("Acme 2", {"z": 2})

        # Invitation by mail, accepted by a verified user.
        status, invitation = await owner.post(
            "invite-member", {"email": bob.email.upper(), "role": "member"}
        )
        assert status == 200, invitation
        assert list(invitation) == [
            "organizationId",
            "email",
            "role",
            "teamId",
            "status",
            "expiresAt",
            "createdAt",
            "inviterId",
            "id",
        ]
        assert (invitation["email"], invitation["status"]) == (bob.email, "pending")
        message = await mail.next(bob.email, "organization-invitation")
        assert message.fields["invitationId"] == invitation["id"]
        assert invitation["id"] in message.fields["url"]
        assert await owner.post("invite-member", {"email": bob.email, "role": "member"}) == (
            400,
            error(
                "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION",
                "User is already invited to this organization",
            ),
        )
        status, resent = await owner.post(
            "invite-member", {"email": bob.email, "role": "member", "resend": True}
        )
        assert status == 200 and resent["id"] == invitation["id"]  # no duplicate
        status, seen = await bob.get("get-invitation", id=invitation["id"])
        assert status == 200, seen
        assert (seen["organizationName"], seen["organizationSlug"]) == ("Acme 2", slug)
        assert seen["inviterEmail"] == owner.email
        status, mine = await bob.get("list-user-invitations")
        assert status == 200 and [each["id"] for each in mine] == [invitation["id"]]
        assert mine[0]["organizationName"] == "Acme 2"
        status, accepted = await bob.post("accept-invitation", {"invitationId": invitation["id"]})
        assert status == 200, accepted
        assert accepted["invitation"]["status"] == "accepted"
        bob_member = accepted["member"]
        assert (bob_member["userId"], bob_member["role"]) == (bob.id, "member")
        assert (await bob.session())["activeOrganizationId"] == org_id
        assert await bob.post("accept-invitation", {"invitationId": invitation["id"]}) == (
            400,
            error("INVITATION_NOT_FOUND", "Invitation not found"),
        )

        # Members, with their users joined.
        status, members = await owner.get("list-members")
        assert status == 200 and members["total"] == 2
        by_user = {member["userId"]: member for member in members["members"]}
        assert by_user[bob.id]["user"] == {
            "id": bob.id,
            "name": "Ada",
            "email": bob.email,
            "image": None,
        }
        status, page = await owner.get(
            "list-members", limit="1", filterField="role", filterOperator="eq", filterValue="owner"
        )
        assert status == 200 and page["total"] == 1
        assert [member["userId"] for member in page["members"]] == [owner.id]
        status, full = await owner.get("get-full-organization")
        assert status == 200 and full["id"] == org_id
        assert list(full)[-3:] == ["invitations", "members", "teams"]
        assert {member["user"]["email"] for member in full["members"]} == {owner.email, bob.email}
        assert default_team_id in [team["id"] for team in full["teams"]]
        status, active = await bob.get("get-active-member")
        assert status == 200 and active["id"] == bob_member["id"]
        assert active["user"]["email"] == bob.email
        assert await bob.get("get-active-member-role") == (200, {"role": "member"})
        assert await bob.get("get-active-member-role", userId=owner.id) == (200, {"role": "owner"})

        # Roles and permissions.
        check = {"permissions": {"member": ["create"]}}
        assert await bob.post("has-permission", check) == (200, {"error": None, "success": False})
        assert await owner.post("has-permission", {"permission": {"organization": ["delete"]}}) == (
            200,
            {"error": None, "success": True},
        )
        status, promoted = await owner.post(
            "update-member-role", {"memberId": bob_member["id"], "role": "admin"}
        )
        assert status == 200 and promoted["role"] == "admin"
        assert await bob.post("has-permission", check) == (200, {"error": None, "success": True})
        assert await bob.post("has-permission", {"permissions": {"organization": ["delete"]}}) == (
            200,
            {"error": None, "success": False},
        )

        # Teams.
        status, team = await owner.post("create-team", {"name": "Red"})
        assert status == 200, team
        assert list(team) == ["name", "organizationId", "createdAt", "updatedAt", "id"]
        status, team_member = await owner.post(
            "add-team-member", {"teamId": team["id"], "userId": bob.id}
        )
        assert status == 200 and list(team_member)[:4] == ["teamId", "userId", "createdAt", "id"]
        response = await bob.http.post(f"{ORG}/set-active-team", json={"teamId": team["id"]})
        assert response.status_code == 200 and response.json()["id"] == team["id"]
        assert DATA in cookie_names(response)
        assert (await bob.session())["activeTeamId"] == team["id"]
        status, team_members = await bob.get("list-team-members")
        assert status == 200 and [each["userId"] for each in team_members] == [bob.id]
        status, bobs_teams = await bob.get("list-user-teams")
        assert status == 200 and [each["id"] for each in bobs_teams] == [team["id"]]
        status, renamed = await owner.post(
            "update-team", {"teamId": team["id"], "data": {"name": "Blue"}}
        )
        assert status == 200 and renamed["name"] == "Blue"
        status, teams = await owner.get("list-teams")
        assert status == 200 and {each["id"] for each in teams} == {default_team_id, team["id"]}
        assert await owner.post("remove-team-member", {"teamId": team["id"], "userId": bob.id}) == (
            200,
            {"message": "Team member removed successfully."},
        )
        assert await owner.post("remove-team", {"teamId": team["id"]}) == (
            200,
            {"message": "Team removed successfully."},
        )

        # Leaving, removing, cancelling, deleting.
        assert await owner.post("leave", {"organizationId": org_id}) == (
            400,
            error(
                "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER",
                "You cannot leave the organization as the only owner",
            ),
        )
        status, left = await bob.post("leave", {"organizationId": org_id})
        assert status == 200 and left["userId"] == bob.id
        assert (await bob.session())["activeOrganizationId"] is None
        status, pending = await owner.post(
            "invite-member", {"email": unique_email(), "role": "admin"}
        )
        assert status == 200
        status, canceled = await owner.post("cancel-invitation", {"invitationId": pending["id"]})
        assert status == 200 and canceled["status"] == "canceled"
        status, deleted = await owner.post("delete", {"organizationId": org_id})
        assert status == 200 and deleted["id"] == org_id
        session = await owner.session()
        assert (session["activeOrganizationId"], session["activeTeamId"]) == (None, None)
        assert await owner.get("list") == (200, [])


async def test_remove_member_by_id_and_by_email(stack: Stack, mail: Mailbox) -> None:
    async with (
        person(stack, mail) as owner,
        person(stack, mail) as bob,
        person(stack, mail) as cleo,
    ):
        org = await new_organization(owner)
        bob_member = await invite_and_accept(owner, bob, mail, org["id"])
        await invite_and_accept(owner, cleo, mail, org["id"])
        removed = {"organizationId": org["id"]}
        status, body = await owner.post(
            "remove-member", {"memberIdOrEmail": bob_member["id"], **removed}
        )
        assert status == 200 and body["member"]["userId"] == bob.id
        status, body = await owner.post(
            "remove-member", {"memberIdOrEmail": cleo.email.upper(), **removed}
        )
        assert status == 200 and body["member"]["userId"] == cleo.id
        status, members = await owner.get("list-members", organizationId=org["id"])
        assert [member["userId"] for member in members["members"]] == [owner.id]


async def test_an_unverified_address_cannot_accept(stack: Stack, mail: Mailbox) -> None:
    async with person(stack, mail) as owner, person(stack) as unverified:
        org = await new_organization(owner)
        status, invitation = await owner.post(
            "invite-member", {"email": unverified.email, "role": "member"}
        )
        assert status == 200
        refused = error(
            "EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION",
            "Email verification required before accepting or rejecting invitation",
        )
        body = {"invitationId": invitation["id"]}
        assert await unverified.post("accept-invitation", body) == (403, refused)
        assert await unverified.post("reject-invitation", body) == (403, refused)
        assert await unverified.get("list-user-invitations") == (
            403,
            error(
                "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION",
                "Email verification required to view or list invitations for the session email",
            ),
        )
        assert (await owner.get("list-invitations", organizationId=org["id"]))[0] == 200


# --- cross-organization probes ----------------------------------------------------------------


async def test_foreign_ids_answer_exactly_like_nonexistent_ones(
    stack: Stack, mail: Mailbox
) -> None:
    """X, owner of an organization of their own, probes another organization's ids on every
    endpoint that takes one: each answer equals the answer for an id that does not exist."""
    async with (
        person(stack, mail) as owner,
        person(stack, mail) as bob,
        person(stack, mail) as probe,
    ):
        victim = await new_organization(owner, "Victim")
        bob_member = await invite_and_accept(owner, bob, mail, victim["id"])
        status, team = await owner.post(
            "create-team", {"name": "Secret", "organizationId": victim["id"]}
        )
        assert status == 200
        status, invitation = await owner.post(
            "invite-member",
            {"email": unique_email(), "role": "member", "organizationId": victim["id"]},
        )
        assert status == 200
        status, role = await owner.post(
            "create-role",
            {
                "role": "auditor",
                "permission": {"member": ["update"]},
                "organizationId": victim["id"],
            },
        )
        assert status == 200, role
        own = await new_organization(probe, "Probe")
        org, slug, member = victim["id"], victim["slug"], bob_member["id"]
        team_id, invitation_id = team["id"], invitation["id"]
        role_id = role["roleData"]["id"]

        def posts(org: str, team: str, member: str, invitation: str) -> list[tuple[str, Any]]:
            return [
                ("create-role", {"organizationId": org, "role": "x", "permission": {}}),
                ("update-role", {"organizationId": org, "roleId": role_id, "data": {}}),
                ("update-role", {"roleId": team, "data": {"roleName": "y"}}),
                ("delete-role", {"organizationId": org, "roleName": "auditor"}),
                ("delete-role", {"roleId": team}),
                ("update", {"organizationId": org, "data": {"name": "pwned"}}),
                ("delete", {"organizationId": org}),
                ("set-active", {"organizationId": org}),
                (
                    "invite-member",
                    {"organizationId": org, "email": unique_email(), "role": "member"},
                ),
                ("leave", {"organizationId": org}),
                ("has-permission", {"organizationId": org, "permissions": {"member": ["create"]}}),
                ("create-team", {"organizationId": org, "name": "Mine"}),
                (
                    "update-member-role",
                    {"organizationId": org, "memberId": member, "role": "admin"},
                ),
                ("update-member-role", {"memberId": member, "role": "admin"}),
                ("remove-member", {"organizationId": org, "memberIdOrEmail": member}),
                ("remove-member", {"memberIdOrEmail": member}),
                ("update-team", {"teamId": team, "data": {"name": "pwned"}}),
                ("remove-team", {"teamId": team}),
                ("set-active-team", {"teamId": team}),
                ("add-team-member", {"teamId": team, "userId": probe.id}),
                ("add-team-member", {"organizationId": org, "teamId": team, "userId": probe.id}),
                ("remove-team-member", {"teamId": team, "userId": bob.id}),
                ("accept-invitation", {"invitationId": invitation}),
                ("reject-invitation", {"invitationId": invitation}),
                ("cancel-invitation", {"invitationId": invitation}),
            ]

        def gets(org: str, team: str, invitation: str) -> list[tuple[str, dict[str, str]]]:
            return [
                ("list-roles", {"organizationId": org}),
                ("get-role", {"organizationId": org, "roleName": "auditor"}),
                ("get-role", {"roleId": team}),
                ("get-organization", {"organizationId": org}),
                ("get-full-organization", {"organizationId": org}),
                ("list-members", {"organizationId": org}),
                ("list-invitations", {"organizationId": org}),
                ("get-active-member-role", {"organizationId": org}),
                ("list-teams", {"organizationId": org}),
                ("list-user-teams", {"organizationId": org}),
                ("list-team-members", {"teamId": team}),
                ("get-invitation", {"id": invitation}),
            ]

        def slug_gets(slug: str) -> list[tuple[str, dict[str, str]]]:
            return [
                ("get-organization", {"organizationSlug": slug}),
                ("get-full-organization", {"organizationSlug": slug}),
                ("list-members", {"organizationSlug": slug}),
                ("get-active-member-role", {"organizationSlug": slug}),
            ]

        nowhere = NONEXISTENT
        for (path, foreign), (_, missing) in zip(
            posts(org, team_id, member, invitation_id),
            posts(nowhere, nowhere, nowhere, nowhere),
            strict=True,
        ):
            got, expected = await probe.post(path, foreign), await probe.post(path, missing)
            assert got == expected, (path, got, expected)
            assert got[0] in (400, 401, 403, 404), (path, got)
        for (path, foreign_query), (_, missing_query) in zip(
            gets(org, team_id, invitation_id), gets(nowhere, nowhere, nowhere), strict=True
        ):
            got, expected = (
                await probe.get(path, **foreign_query),
                await probe.get(path, **missing_query),
            )
            assert got == expected, (path, got, expected)
            assert got[0] in (400, 401, 403, 404), (path, got)
        for (path, foreign_query), (_, missing_query) in zip(
            slug_gets(slug), slug_gets("no-such-slug-" + uuid.uuid4().hex), strict=True
        ):
            got = await probe.get(path, **foreign_query)
            assert got == await probe.get(path, **missing_query), (path, got)
            assert got[0] in (400, 403), (path, got)
        extras = "/api/organization/set-team-member-role"
        probes = [
            {"teamId": team_id, "userId": bob.id, "role": "admin"},
            {"teamId": team_id, "userId": bob.id, "role": "admin", "organizationId": org},
        ]
        for body in probes:
            missing = {
                **body,
                "teamId": nowhere,
                **({"organizationId": nowhere} if "organizationId" in body else {}),
            }
            got = answer(await probe.http.post(extras, json=body))
            assert got == answer(await probe.http.post(extras, json=missing)), (body, got)
            assert got[0] in (400, 403, 404), got
        assert await probe.post("set-active", {"organizationSlug": slug}) == await probe.post(
            "set-active", {"organizationSlug": "no-such-slug-" + uuid.uuid4().hex}
        )
        # Nothing of the victim's changed, and the probe's own organization is intact.
        status, full = await owner.get("get-full-organization", organizationId=org)
        assert status == 200 and full["name"] == "Victim"
        assert {each["userId"]: each["role"] for each in full["members"]} == {
            owner.id: "owner",
            bob.id: "member",
        }
        assert team_id in [each["id"] for each in full["teams"]]
        status, roles = await owner.get("list-roles", organizationId=org)
        assert status == 200 and [(each["id"], each["role"]) for each in roles] == [
            (role_id, "auditor")
        ]
        assert roles[0]["permission"] == {"member": ["update"]}
        assert (await probe.get("get-organization", organizationId=own["id"]))[0] == 200


# --- escalation -------------------------------------------------------------------------------


async def test_members_and_admins_cannot_raise_roles(stack: Stack, mail: Mailbox) -> None:
    async with (
        person(stack, mail) as owner,
        person(stack, mail) as admin,
        person(stack, mail) as plain,
    ):
        org = await new_organization(owner)
        in_org = {"organizationId": org["id"]}
        admin_member = await invite_and_accept(owner, admin, mail, org["id"], role="admin")
        plain_member = await invite_and_accept(owner, plain, mail, org["id"])
        owner_member = org["members"][0]

        async def roles() -> dict[str, str]:
            status, listed = await owner.get("list-members", **in_org)
            assert status == 200
            return {member["userId"]: member["role"] for member in listed["members"]}

        before = await roles()
        assert before == {owner.id: "owner", admin.id: "admin", plain.id: "member"}

        not_allowed = error(
            "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER", "You are not allowed to update this member"
        )
        # A plain member: no role change at all, their own included.
        for role in ("admin", "owner", ["member", "owner"], "admin,owner"):
            body = {"memberId": plain_member["id"], "role": role, **in_org}
            assert await plain.post("update-member-role", body) == (403, not_allowed), role
        for target in (owner_member, admin_member):
            body = {"memberId": target["id"], "role": "member", **in_org}
            assert await plain.post("update-member-role", body) == (403, not_allowed)
        assert (
            await plain.post("invite-member", {"email": unique_email(), "role": "owner", **in_org})
        )[0] == 403
        assert await plain.post("update", {"data": {"name": "x"}, **in_org}) == (
            403,
            error(
                "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION",
                "You are not allowed to update this organization",
            ),
        )
        assert await plain.post("delete", in_org) == (
            403,
            error(
                "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION",
                "You are not allowed to delete this organization",
            ),
        )
        status, _ = await plain.post(
            "remove-member", {"memberIdOrEmail": owner_member["id"], **in_org}
        )
        assert status in (400, 401, 403)
        assert (await plain.post("create-team", {"name": "Mine", **in_org}))[0] == 403

        # An admin: no owner granted, to anyone; no owner demoted or removed.
        for target in (admin_member, plain_member):
            body = {"memberId": target["id"], "role": "owner", **in_org}
            assert await admin.post("update-member-role", body) == (403, not_allowed)
        body = {"memberId": owner_member["id"], "role": "member", **in_org}
        assert await admin.post("update-member-role", body) == (403, not_allowed)
        status, _ = await admin.post(
            "remove-member", {"memberIdOrEmail": owner_member["id"], **in_org}
        )
        assert status in (400, 401, 403)
        assert await admin.post(
            "invite-member", {"email": unique_email(), "role": "owner", **in_org}
        ) == (
            403,
            error(
                "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE",
                "You are not allowed to invite a user with this role",
            ),
        )
        assert (await admin.post("delete", in_org))[0] == 403
        assert await roles() == before

        # Role names are matched exactly: padded and case-variant names are no roles.
        for role in (" owner", "owner ", "Owner", "OWNER", "admin ,member", ""):
            body = {"memberId": plain_member["id"], "role": role, **in_org}
            status, refused = await owner.post("update-member-role", body)
            assert status == 400, (role, refused)
            assert refused is None or refused["code"] in ("ROLE_NOT_FOUND", "VALIDATION_ERROR")
            status, refused = await owner.post(
                "invite-member", {"email": unique_email(), "role": role or " ", **in_org}
            )
            assert status in (400, 403) and refused["code"] in (
                "ROLE_NOT_FOUND",
                "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE",
            ), (role, refused)
        assert await roles() == before

        # The only owner is not demoted, and does not leave.
        body = {"memberId": owner_member["id"], "role": "admin", **in_org}
        status, refused = await owner.post("update-member-role", body)
        assert (
            status == 400
            and refused["code"] == "YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER"
        )
        assert (await owner.post("leave", in_org))[0] == 400
        assert await roles() == before


# --- refusals and bad input -------------------------------------------------------------------

POST_ENDPOINTS = (
    "create",
    "check-slug",
    "update",
    "delete",
    "set-active",
    "has-permission",
    "invite-member",
    "accept-invitation",
    "reject-invitation",
    "cancel-invitation",
    "update-member-role",
    "remove-member",
    "leave",
    "create-team",
    "update-team",
    "remove-team",
    "set-active-team",
    "add-team-member",
    "remove-team-member",
    "create-role",
    "update-role",
    "delete-role",
)
GET_ENDPOINTS = (
    "list",
    "get-organization",
    "get-full-organization",
    "list-members",
    "get-active-member",
    "get-active-member-role",
    "list-invitations",
    "list-teams",
    "list-user-teams",
    "list-team-members",
    "list-roles",
)
UNAUTHORIZED = error("UNAUTHORIZED", "Unauthorized")
# What the peer answers a request without a session where it differs from UNAUTHORIZED.
NO_SESSION = {
    "create": (401, None),
    "update": (401, {"message": "User not found"}),
    "delete": (401, None),
    "create-team": (401, None),
    "remove-team": (401, None),
    "get-invitation": (401, {"message": "Not authenticated"}),
    "list-user-invitations": (
        400,
        {"message": "Missing session headers, or email query parameter."},
    ),
}
VALID_BODIES: dict[str, Any] = {
    "create": {"name": "n", "slug": "s"},
    "check-slug": {"slug": "s"},
    "update": {"data": {}},
    "delete": {"organizationId": "o"},
    "set-active": {"organizationId": "o"},
    "has-permission": {"permissions": {"member": ["create"]}},
    "invite-member": {"email": "a@b.test", "role": "member"},
    "accept-invitation": {"invitationId": "i"},
    "reject-invitation": {"invitationId": "i"},
    "cancel-invitation": {"invitationId": "i"},
    "update-member-role": {"memberId": "m", "role": "admin"},
    "remove-member": {"memberIdOrEmail": "m"},
    "leave": {"organizationId": "o"},
    "create-team": {"name": "t"},
    "update-team": {"teamId": "t", "data": {}},
    "remove-team": {"teamId": "t", "organizationId": "o"},
    "set-active-team": {"teamId": "t"},
    "add-team-member": {"teamId": "t", "userId": "u"},
    "remove-team-member": {"teamId": "t", "userId": "u"},
    "create-role": {"role": "r", "permission": {"member": ["update"]}},
    "update-role": {"roleName": "r", "data": {}},
    "delete-role": {"roleName": "r"},
}


async def test_every_endpoint_needs_a_session(stack: Stack) -> None:
    async with browser(stack) as anonymous:
        for path in POST_ENDPOINTS:
            got = answer(await anonymous.post(f"{ORG}/{path}", json=VALID_BODIES[path]))
            assert got == NO_SESSION.get(path, (401, UNAUTHORIZED)), (path, got)
        for path in (*GET_ENDPOINTS, "get-invitation", "list-user-invitations"):
            params = {"id": "i"} if path == "get-invitation" else {}
            got = answer(await anonymous.get(f"{ORG}/{path}", params=params))
            assert got == NO_SESSION.get(path, (401, UNAUTHORIZED)), (path, got)


async def test_bad_input_is_a_400_in_better_auths_format_never_a_500(
    stack: Stack, mail: Mailbox
) -> None:
    async with person(stack, mail) as owner:
        org = await new_organization(owner)
        junk_bodies: list[Any] = [
            None,
            [],
            "text",
            5,
            {"organizationId": 5},
            {"organizationId": {"$ne": ""}, "teamId": ["a"], "memberId": None, "role": {}},
            {"name": "x" * 10_000, "slug": "\u0000", "data": []},
            {"invitationId": ["x"], "email": "not-an-email", "role": [1, 2]},
            {"permissions": {"member": "create"}, "permission": []},
        ]
        for path in POST_ENDPOINTS:
            for body in junk_bodies:
                response = await owner.http.post(f"{ORG}/{path}", json=body)
                # Bodies whose fields are all optional may fall back to the active
                # organization (set-active, set-active-team): 200 is an answer too.
                assert response.status_code in (200, 400, 403), (path, body, response.text)
                if response.status_code != 200 and response.content:
                    assert "message" in response.json(), (path, body)
        queries: list[dict[str, str]] = [
            {"limit": "-1", "offset": "abc", "sortBy": "__proto__", "sortDirection": "up"},
            {"limit": "1e309", "filterField": "role; DROP TABLE member", "filterValue": "'"},
            {"filterField": "password", "filterOperator": "eq", "filterValue": "x"},
            {"membersLimit": "NaN", "organizationId": org["id"]},
            {"organizationId": "\u0000", "teamId": "%00", "userId": "x" * 5000},
        ]
        for path in GET_ENDPOINTS:
            for query in queries:
                response = await owner.http.get(f"{ORG}/{path}", params=query)
                assert response.status_code in (200, 400, 403), (path, query, response.text)
        # A lone surrogate, escaped as JavaScript's JSON.stringify writes it.
        for path in ("create", "invite-member", "create-team"):
            response = await owner.http.post(
                f"{ORG}/{path}",
                content=b'{"name":"\\ud800","slug":"\\ud800","email":"\\ud800@x.test","role":"member"}',
                headers={"content-type": "application/json"},
            )
            assert response.status_code in (200, 400), (path, response.text)
        # Not JSON at all.
        response = await owner.http.post(
            f"{ORG}/create", content=b"{", headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        response = await owner.http.post(
            f"{ORG}/create", content=b"name=x", headers={"content-type": "text/plain"}
        )
        assert response.status_code == 415
        # zod's messages, word for word.
        assert await owner.post("create", {"name": "", "slug": 5}) == (
            400,
            error(
                "VALIDATION_ERROR",
                "[body.name] Too small: expected string to have >=1 characters; "
                "[body.slug] Invalid input: expected string, received number",
            ),
        )
        assert await owner.post("has-permission", {}) == (
            400,
            error("VALIDATION_ERROR", "[body] Invalid input"),
        )
        assert await owner.post(
            "has-permission", {"permission": {"a": ["b"]}, "permissions": {"a": ["b"]}}
        ) == (400, error("VALIDATION_ERROR", "[body] Invalid input: more than one option matched"))
        assert await owner.post("update-member-role", {"memberId": "m"}) == (
            400,
            error("VALIDATION_ERROR", "[body.role] Invalid input"),
        )
        assert await owner.post("update", {"data": {"name": ""}}) == (
            400,
            error(
                "VALIDATION_ERROR",
                "[body.data.name] Too small: expected string to have >=1 characters",
            ),
        )


# --- custom roles (dynamic access control) and team-scoped roles ------------------------------


async def test_custom_roles_are_created_used_and_deleted_at_run_time(
    stack: Stack, mail: Mailbox
) -> None:
    async with (
        person(stack, mail) as owner,
        person(stack, mail) as helper,
        person(stack, mail) as admin,
    ):
        org = await new_organization(owner)
        in_org = {"organizationId": org["id"]}
        status, created = await owner.post(
            "create-role", {"role": "support", "permission": {"member": ["update"]}, **in_org}
        )
        assert status == 200, created
        assert created["success"] is True and created["roleData"]["role"] == "support"
        assert created["roleData"]["permission"] == {"member": ["update"]}
        role_id = created["roleData"]["id"]
        status, roles = await owner.get("list-roles", **in_org)
        assert status == 200 and [role["role"] for role in roles] == ["support"]
        status, got = await owner.get("get-role", roleName="support", **in_org)
        assert status == 200 and got["id"] == role_id
        # Names are exact, and taken ones (custom or pre-defined) are refused.
        for taken in ("support", "owner"):
            status, refused = await owner.post(
                "create-role", {"role": taken, "permission": {"member": ["update"]}, **in_org}
            )
            assert (status, refused["code"]) == (400, "ROLE_NAME_IS_ALREADY_TAKEN"), taken
        status, refused = await owner.post(
            "create-role", {"role": "x", "permission": {"nuclear": ["launch"]}, **in_org}
        )
        assert (status, refused["code"]) == (400, "INVALID_RESOURCE")

        member = await invite_and_accept(owner, helper, mail, org["id"], role="support")
        assert member["role"] == "support"
        may_update = {"permissions": {"member": ["update"]}, **in_org}
        may_delete = {"permissions": {"organization": ["delete"]}, **in_org}
        assert await helper.post("has-permission", may_update) == (
            200,
            {"error": None, "success": True},
        )
        assert (await helper.post("has-permission", may_delete))[1]["success"] is False
        # A role's new statements apply to its members (the permission cache follows).
        status, updated = await owner.post(
            "update-role",
            {"roleName": "support", "data": {"permission": {"team": ["create"]}}, **in_org},
        )
        assert status == 200 and updated["roleData"]["permission"] == {"team": ["create"]}
        answers = await eventually(
            lambda: helper.post("has-permission", may_update),
            lambda got: got == (200, {"error": None, "success": False}),
        )
        assert answers == (200, {"error": None, "success": False})
        status, refused = await owner.post("delete-role", {"roleName": "support", **in_org})
        assert (status, refused["code"]) == (400, "ROLE_IS_ASSIGNED_TO_MEMBERS")

        # Nobody without ac:create creates roles; nobody grants what they lack.
        await invite_and_accept(owner, admin, mail, org["id"], role="admin")
        status, refused = await helper.post(
            "create-role", {"role": "mine", "permission": {"member": ["update"]}, **in_org}
        )
        assert (status, refused["code"]) == (403, "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE")
        status, refused = await admin.post(
            "create-role", {"role": "boss", "permission": {"organization": ["delete"]}, **in_org}
        )
        assert status in (400, 403), refused
        assert (await admin.get("get-role", roleName="boss", **in_org))[0] == 400

        status, _ = await owner.post(
            "update-member-role", {"memberId": member["id"], "role": "member", **in_org}
        )
        assert status == 200
        assert await owner.post("delete-role", {"roleId": role_id, **in_org}) == (
            200,
            {"success": True},
        )
        assert await owner.get("list-roles", **in_org) == (200, [])


async def test_a_team_scoped_role_decides_within_its_team(stack: Stack, mail: Mailbox) -> None:
    async with person(stack, mail) as owner, person(stack, mail) as bob:
        org = await new_organization(owner)
        in_org = {"organizationId": org["id"]}
        await invite_and_accept(owner, bob, mail, org["id"])
        status, team = await owner.post("create-team", {"name": "Ops", **in_org})
        assert status == 200
        status, _ = await owner.post(
            "add-team-member", {"teamId": team["id"], "userId": bob.id, **in_org}
        )
        assert status == 200
        response = await owner.http.post(
            "/api/organization/set-team-member-role",
            json={"teamId": team["id"], "userId": bob.id, "role": "admin", **in_org},
        )
        assert response.status_code == 200, response.text
        assert response.json()["role"] == "admin"
        invite = {"permissions": {"invitation": ["create"]}, **in_org}
        in_team = {**invite, "teamId": team["id"]}
        assert (await bob.post("has-permission", invite))[1]["success"] is False
        answers = await eventually(
            lambda: bob.post("has-permission", in_team), lambda got: got[1]["success"] is True
        )
        assert answers == (200, {"error": None, "success": True})
        # Another member's teams: for a caller with member:update, of a member only.
        status, teams = await owner.get("list-user-teams", userId=bob.id, **in_org)
        assert status == 200 and [each["id"] for each in teams] == [team["id"]]
        assert await bob.get("list-user-teams", userId=owner.id, **in_org) == (
            403,
            error(
                "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER",
                "You are not allowed to update this member",
            ),
        )
        assert await owner.get("list-user-teams", userId=NONEXISTENT, **in_org) == (
            400,
            error(
                "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION",
                "User is not a member of the organization",
            ),
        )
        # A member cannot give themselves a team role either.
        response = await bob.http.post(
            "/api/organization/set-team-member-role",
            json={"teamId": team["id"], "userId": bob.id, "role": "owner", **in_org},
        )
        assert response.status_code == 403, response.text


async def test_an_invitation_is_accepted_once_and_never_after_cancellation(
    stack: Stack, mail: Mailbox
) -> None:
    async with person(stack, mail) as owner, person(stack, mail) as bob:
        org = await new_organization(owner)
        in_org = {"organizationId": org["id"]}
        invite = {"email": bob.email, "role": "member", **in_org}
        status, canceled = await owner.post("invite-member", invite)
        assert status == 200
        assert (await owner.post("cancel-invitation", {"invitationId": canceled["id"]}))[0] == 200
        assert await bob.post("accept-invitation", {"invitationId": canceled["id"]}) == (
            400,
            error("INVITATION_NOT_FOUND", "Invitation not found"),
        )
        status, invitation = await owner.post("invite-member", invite)
        assert status == 200 and invitation["id"] != canceled["id"]
        # Ten tabs accept at once: one joins, the others find no pending invitation.
        answers = await asyncio.gather(
            *(
                bob.http.post(f"{ORG}/accept-invitation", json={"invitationId": invitation["id"]})
                for _ in range(10)
            )
        )
        statuses = sorted(response.status_code for response in answers)
        assert statuses == [200] + [400] * 9, [response.text for response in answers]
        status, members = await owner.get("list-members", **in_org)
        assert [member["userId"] for member in members["members"]].count(bob.id) == 1
        assert await owner.post("invite-member", invite) == (
            400,
            error(
                "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION",
                "User is already a member of this organization",
            ),
        )
