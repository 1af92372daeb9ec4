"""Typed calls to identity's AdminService (Better-Auth's admin plugin), over the identity
channel. Every call names the acting admin: the user of the caller's session."""

import json
from collections.abc import Sequence
from typing import Any

from authmesh.events.v1 import envelope_pb2
from authmesh.identity.v1 import admin_pb2, admin_pb2_grpc, identity_pb2
from authmesh_kit.grpc.client import ServiceChannel

# Setting a password hashes it (~15 ms of CPU, queued under load); a listing may search
# substrings for up to identity's statement timeout.
_SLOW_TIMEOUT_S = 5.0


def _user(response: admin_pb2.AdminUserResponse) -> identity_pb2.User:
    user: identity_pb2.User = response.user
    return user


class AdminClient:
    def __init__(self, channel: ServiceChannel) -> None:
        self._channel = channel
        self._stub = admin_pb2_grpc.AdminServiceStub(channel.channel)

    async def list_users(self, request: admin_pb2.ListUsersRequest) -> admin_pb2.ListUsersResponse:
        return await self._channel.call(self._stub.ListUsers, request, timeout_s=_SLOW_TIMEOUT_S)

    async def get_user(self, *, admin_user_id: str, user_id: str) -> identity_pb2.User:
        request = admin_pb2.AdminGetUserRequest(admin_user_id=admin_user_id, user_id=user_id)
        return _user(await self._channel.call(self._stub.GetUser, request))

    async def create_user(
        self,
        *,
        admin_user_id: str,
        email: str,
        password: str | None,
        name: str,
        roles: Sequence[str] | None,
        data: dict[str, Any],
        actor: envelope_pb2.Actor,
    ) -> identity_pb2.User:
        request = admin_pb2.AdminCreateUserRequest(
            admin_user_id=admin_user_id,
            email=email,
            password=password,
            name=name,
            roles=admin_pb2.Roles(names=roles) if roles is not None else None,
            data_json=json.dumps(data),
            actor=actor,
        )
        response = await self._channel.call(
            self._stub.CreateUser, request, timeout_s=_SLOW_TIMEOUT_S
        )
        return _user(response)

    async def update_user(
        self, *, admin_user_id: str, user_id: str, data: dict[str, Any], actor: envelope_pb2.Actor
    ) -> identity_pb2.User:
        request = admin_pb2.AdminUpdateUserRequest(
            admin_user_id=admin_user_id, user_id=user_id, data_json=json.dumps(data), actor=actor
        )
        return _user(await self._channel.call(self._stub.UpdateUser, request))

    async def set_role(
        self,
        *,
        admin_user_id: str,
        user_id: str,
        roles: Sequence[str],
        actor: envelope_pb2.Actor,
    ) -> identity_pb2.User:
        request = admin_pb2.SetRoleRequest(
            admin_user_id=admin_user_id,
            user_id=user_id,
            roles=admin_pb2.Roles(names=roles),
            actor=actor,
        )
        return _user(await self._channel.call(self._stub.SetRole, request))

    async def set_user_password(
        self, *, admin_user_id: str, user_id: str, new_password: str, actor: envelope_pb2.Actor
    ) -> None:
        request = admin_pb2.SetUserPasswordRequest(
            admin_user_id=admin_user_id, user_id=user_id, new_password=new_password, actor=actor
        )
        await self._channel.call(self._stub.SetUserPassword, request, timeout_s=_SLOW_TIMEOUT_S)

    async def unlock_password_sign_in(
        self, *, admin_user_id: str, user_id: str, actor: envelope_pb2.Actor
    ) -> int:
        """Lifts the user's password throttle; the consecutive failures it cleared."""
        request = admin_pb2.UnlockPasswordSignInRequest(
            admin_user_id=admin_user_id, user_id=user_id, actor=actor
        )
        response = await self._channel.call(self._stub.UnlockPasswordSignIn, request)
        return response.cleared_failures

    async def ban_user(
        self,
        *,
        admin_user_id: str,
        user_id: str,
        reason: str | None,
        expires_in_s: float | None,
        actor: envelope_pb2.Actor,
    ) -> identity_pb2.User:
        request = admin_pb2.BanUserRequest(
            admin_user_id=admin_user_id,
            user_id=user_id,
            ban_reason=reason,
            ban_expires_in_s=expires_in_s,
            actor=actor,
        )
        return _user(await self._channel.call(self._stub.BanUser, request))

    async def unban_user(
        self, *, admin_user_id: str, user_id: str, actor: envelope_pb2.Actor
    ) -> identity_pb2.User:
        request = admin_pb2.UnbanUserRequest(
            admin_user_id=admin_user_id, user_id=user_id, actor=actor
        )
        return _user(await self._channel.call(self._stub.UnbanUser, request))

    async def remove_user(
        self, *, admin_user_id: str, user_id: str, actor: envelope_pb2.Actor
    ) -> None:
        request = admin_pb2.RemoveUserRequest(
            admin_user_id=admin_user_id, user_id=user_id, actor=actor
        )
        await self._channel.call(self._stub.RemoveUser, request)

    async def check_permission(
        self, user_id: str, permissions: Sequence[tuple[str, Sequence[str]]]
    ) -> bool:
        request = admin_pb2.CheckPermissionRequest(
            user_id=user_id,
            permissions=[
                admin_pb2.Permission(resource=resource, actions=actions)
                for resource, actions in permissions
            ],
        )
        allowed: bool = (await self._channel.call(self._stub.CheckPermission, request)).allowed
        return allowed

    async def authorize_impersonation(
        self, *, admin_user_id: str, user_id: str, actor: envelope_pb2.Actor
    ) -> identity_pb2.User:
        request = admin_pb2.AuthorizeImpersonationRequest(
            admin_user_id=admin_user_id, user_id=user_id, actor=actor
        )
        response = await self._channel.call(self._stub.AuthorizeImpersonation, request)
        user: identity_pb2.User = response.user
        return user
