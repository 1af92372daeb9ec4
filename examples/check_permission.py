"""A backend asking Authmesh whether a user may do something in an organization: one gRPC call
to the org service's CheckPermission, answered from the org service's cache.

    AUTHMESH_ORG_ADDR=org:50051 \\
    AUTHMESH_BACKEND_NAME=billing AUTHMESH_BACKEND_KEY=<private key> \\
    python examples/check_permission.py USER_ID ORGANIZATION_ID invitation:create [team_id]

The backend authenticates like an Authmesh service: a short-lived EdDSA token (`iss` = its
name, `aud` = "org") signed with its own Ed25519 key. The operator lists the backend's public
key in the org service's AUTHMESH_ORG_PERMISSION_CALLERS ("billing:<public key>"); a pair
comes from `python -c "from authmesh_kit.grpc.service_auth import generate_key_pair as g;
print(g())"`. The private key stays with the backend. Run it beside the org service on a
network only your services reach (or behind mTLS): the token proves who calls, not privacy.

Exit status: 0 allowed, 1 refused (or not a member), 2 usage or call error.
"""

import asyncio
import os
import sys

import grpc

from authmesh.org.v1 import org_pb2, org_pb2_grpc
from authmesh_kit.grpc.service_auth import ServiceTokenIssuer


async def check_permission(
    channel: grpc.aio.Channel,
    issuer: ServiceTokenIssuer,
    *,
    user_id: str,
    organization_id: str,
    permissions: dict[str, list[str]],
    team_id: str | None = None,
) -> bool:
    """Whether the user holds every action of `permissions` ({"invitation": ["create"]})."""
    request = org_pb2.CheckPermissionRequest(
        user_id=user_id,
        organization_id=organization_id,
        permissions={
            resource: org_pb2.PermissionActions(actions=actions)
            for resource, actions in permissions.items()
        },
    )
    if team_id:
        request.team_id = team_id
    stub = org_pb2_grpc.OrgServiceStub(channel)
    metadata = (("authorization", f"Bearer {issuer.token_for('org')}"),)
    response = await stub.CheckPermission(request, metadata=metadata, timeout=1.0)
    return bool(response.allowed)


def _permissions(spec: str) -> dict[str, list[str]]:
    """`invitation:create,member:update` → {"invitation": ["create"], "member": ["update"]}."""
    permissions: dict[str, list[str]] = {}
    for item in spec.split(","):
        resource, _, action = item.partition(":")
        permissions.setdefault(resource, []).append(action)
    return permissions


async def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    issuer = ServiceTokenIssuer(
        os.environ["AUTHMESH_BACKEND_NAME"], os.environ["AUTHMESH_BACKEND_KEY"]
    )
    async with grpc.aio.insecure_channel(os.environ["AUTHMESH_ORG_ADDR"]) as channel:
        try:
            allowed = await check_permission(
                channel,
                issuer,
                user_id=argv[0],
                organization_id=argv[1],
                permissions=_permissions(argv[2]),
                team_id=argv[3] if len(argv) == 4 else None,
            )
        except grpc.aio.AioRpcError as exc:
            print(f"CheckPermission failed: {exc.code().name} {exc.details()}", file=sys.stderr)
            return 2
    print("allowed" if allowed else "refused")
    return 0 if allowed else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
