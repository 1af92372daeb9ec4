"""The identity.v1 AdminService servicer (Better-Auth's admin plugin): decode, call one use case,
encode."""

import json
from typing import Any

from grpc.aio import ServicerContext

from authmesh.identity.v1 import admin_pb2, admin_pb2_grpc
from authmesh_identity.api.mappers import actor_of, user_to_proto
from authmesh_identity.api.servicer import GATEWAY
from authmesh_identity.domain import password_throttle
from authmesh_identity.domain.admin_permissions import AdminPolicy
from authmesh_identity.domain.admin_user_query import ListingRequest
from authmesh_identity.domain.errors import DOMAIN
from authmesh_identity.domain.model import AccountFlowPolicy, User
from authmesh_identity.domain.passwords import PasswordHasher, PasswordPolicy
from authmesh_identity.domain.ports import UnitOfWork, UserDirectory
from authmesh_identity.domain.use_cases import admin_access, admin_bans, admin_users
from authmesh_kit.errors import DomainError, ErrorKind
from authmesh_kit.grpc.server import Registration

ALLOWED_CALLERS = {
    "ListUsers": GATEWAY,
    "GetUser": GATEWAY,
    "CreateUser": GATEWAY,
    "UpdateUser": GATEWAY,
    "SetRole": GATEWAY,
    "SetUserPassword": GATEWAY,
    "UnlockPasswordSignIn": GATEWAY,
    "BanUser": GATEWAY,
    "UnbanUser": GATEWAY,
    "RemoveUser": GATEWAY,
    "CheckPermission": GATEWAY,
    "AuthorizeImpersonation": GATEWAY,
}


def _data(data_json: str) -> dict[str, Any]:
    """A `data` object as the admin sent it; nothing but a JSON object is one."""
    try:
        data = json.loads(data_json or "{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise DomainError(
            ErrorKind.INVALID_ARGUMENT, "INVALID_DATA", DOMAIN, "data must be a JSON object"
        )
    return data


def _listing(request: admin_pb2.ListUsersRequest) -> ListingRequest:
    search, found, sort = request.search, request.filter, request.sort
    return ListingRequest(
        search_value=search.value,
        search_field=search.field,
        search_operator=search.operator,
        filter_field=found.field if request.HasField("filter") else None,
        filter_values=list(found.values),
        filter_operator=found.operator,
        sort_by=sort.field,
        descending=sort.descending,
        limit=request.limit,
        offset=request.offset,
    )


def _answer(user: User) -> admin_pb2.AdminUserResponse:
    return admin_pb2.AdminUserResponse(user=user_to_proto(user))


class AdminServicer(admin_pb2_grpc.AdminServiceServicer):
    def __init__(
        self,
        uow: UnitOfWork,
        directory: UserDirectory,
        hasher: PasswordHasher,
        password_policy: PasswordPolicy,
        flows: AccountFlowPolicy,
        policy: AdminPolicy,
    ) -> None:
        self._uow = uow
        self._directory = directory
        self._hasher = hasher
        self._password_policy = password_policy
        self._flows = flows
        self._policy = policy

    async def ListUsers(
        self, request: admin_pb2.ListUsersRequest, context: ServicerContext[Any, Any]
    ) -> admin_pb2.ListUsersResponse:
        page = await admin_access.list_users(
            self._uow,
            self._directory,
            self._policy,
            admin_user_id=request.admin_user_id,
            request=_listing(request),
        )
        return admin_pb2.ListUsersResponse(
            users=[user_to_proto(user) for user in page.users],
            total=page.total,
            limit=page.limit,
            unsupported=not page.supported,
        )

    async def GetUser(
        self, request: admin_pb2.AdminGetUserRequest, context: ServicerContext[Any, Any]
    ) -> admin_pb2.AdminUserResponse:
        user = await admin_users.get_user(
            self._uow, self._policy, admin_user_id=request.admin_user_id, user_id=request.user_id
        )
        return _answer(user)

    async def CreateUser(
        self, request: admin_pb2.AdminCreateUserRequest, context: ServicerContext[Any, Any]
    ) -> admin_pb2.AdminUserResponse:
        user = await admin_users.create_user(
            self._uow,
            self._hasher,
            self._password_policy,
            self._policy,
            admin_user_id=request.admin_user_id,
            email=request.email,
            password=request.password if request.HasField("password") else None,
            name=request.name,
            roles=list(request.roles.names) if request.HasField("roles") else None,
            data=_data(request.data_json),
            actor=actor_of(request),
        )
        return _answer(user)

    async def UpdateUser(
        self, request: admin_pb2.AdminUpdateUserRequest, context: ServicerContext[Any, Any]
    ) -> admin_pb2.AdminUserResponse:
        user = await admin_users.update_user(
            self._uow,
            self._policy,
            admin_user_id=request.admin_user_id,
            user_id=request.user_id,
            data=_data(request.data_json),
            actor=actor_of(request),
        )
        return _answer(user)

    async def SetRole(
        self, request: admin_pb2.SetRoleRequest, context: ServicerContext[Any, Any]
    ) -> admin_pb2.AdminUserResponse:
        user = await admin_users.set_role(
            self._uow,
            self._policy,
            admin_user_id=request.admin_user_id,
            user_id=request.user_id,
            roles=list(request.roles.names),
            actor=actor_of(request),
        )
        return _answer(user)

    async def SetUserPassword(
        self, request: admin_pb2.SetUserPasswordRequest, context: ServicerContext[Any, Any]
    ) -> admin_pb2.SetUserPasswordResponse:
        await admin_users.set_user_password(
            self._uow,
            self._hasher,
            self._password_policy,
            self._policy,
            self._flows,
            admin_user_id=request.admin_user_id,
            user_id=request.user_id,
            new_password=request.new_password,
            actor=actor_of(request),
        )
        return admin_pb2.SetUserPasswordResponse()

    async def UnlockPasswordSignIn(
        self, request: admin_pb2.UnlockPasswordSignInRequest, context: ServicerContext[Any, Any]
    ) -> admin_pb2.UnlockPasswordSignInResponse:
        cleared = await password_throttle.unlock(
            self._uow, self._policy, admin_user_id=request.admin_user_id, user_id=request.user_id
        )
        return admin_pb2.UnlockPasswordSignInResponse(cleared_failures=cleared)

    async def BanUser(
        self, request: admin_pb2.BanUserRequest, context: ServicerContext[Any, Any]
    ) -> admin_pb2.AdminUserResponse:
        user = await admin_bans.ban_user(
            self._uow,
            self._policy,
            admin_user_id=request.admin_user_id,
            user_id=request.user_id,
            reason=request.ban_reason if request.HasField("ban_reason") else None,
            expires_in_s=(
                request.ban_expires_in_s if request.HasField("ban_expires_in_s") else None
            ),
            actor=actor_of(request),
        )
        return _answer(user)

    async def UnbanUser(
        self, request: admin_pb2.UnbanUserRequest, context: ServicerContext[Any, Any]
    ) -> admin_pb2.AdminUserResponse:
        user = await admin_bans.unban_user(
            self._uow,
            self._policy,
            admin_user_id=request.admin_user_id,
            user_id=request.user_id,
            actor=actor_of(request),
        )
        return _answer(user)

    async def RemoveUser(
        self, request: admin_pb2.RemoveUserRequest, context: ServicerContext[Any, Any]
    ) -> admin_pb2.RemoveUserResponse:
        await admin_users.remove_user(
            self._uow,
            self._policy,
            admin_user_id=request.admin_user_id,
            user_id=request.user_id,
            actor=actor_of(request),
        )
        return admin_pb2.RemoveUserResponse()

    async def CheckPermission(
        self, request: admin_pb2.CheckPermissionRequest, context: ServicerContext[Any, Any]
    ) -> admin_pb2.CheckPermissionResponse:
        allowed = await admin_access.check_permission(
            self._uow,
            self._policy,
            user_id=request.user_id,
            permissions=[(asked.resource, list(asked.actions)) for asked in request.permissions],
        )
        return admin_pb2.CheckPermissionResponse(allowed=allowed)

    async def AuthorizeImpersonation(
        self,
        request: admin_pb2.AuthorizeImpersonationRequest,
        context: ServicerContext[Any, Any],
    ) -> admin_pb2.AuthorizeImpersonationResponse:
        user = await admin_access.authorize_impersonation(
            self._uow, self._policy, admin_user_id=request.admin_user_id, user_id=request.user_id
        )
        return admin_pb2.AuthorizeImpersonationResponse(user=user_to_proto(user))


def registration(servicer: AdminServicer) -> Registration:
    return Registration(
        service_name="authmesh.identity.v1.AdminService",
        add_to_server=admin_pb2_grpc.add_AdminServiceServicer_to_server,
        servicer=servicer,
        allowed_callers=ALLOWED_CALLERS,
    )
