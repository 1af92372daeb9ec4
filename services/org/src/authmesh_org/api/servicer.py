"""The org.v1 gRPC servicer and who may call it.

Its RPCs are contracts a later issue implements; until then they answer UNIMPLEMENTED.
"""

from typing import Any

from grpc.aio import ServicerContext

from authmesh.org.v1 import org_pb2, org_pb2_grpc
from authmesh_kit.errors import not_implemented_yet
from authmesh_kit.grpc.server import Registration

ALLOWED_CALLERS = {
    # DESIGN §1: internal backends call it too; each is added here by name.
    "CheckPermission": frozenset({"gateway"}),
}


class OrgServicer(org_pb2_grpc.OrgServiceServicer):
    """Organizations arrive with the organizations issue."""

    async def CheckPermission(
        self, request: org_pb2.CheckPermissionRequest, context: ServicerContext[Any, Any]
    ) -> org_pb2.CheckPermissionResponse:
        raise not_implemented_yet("org")


def registration(servicer: OrgServicer) -> Registration:
    return Registration(
        service_name="authmesh.org.v1.OrgService",
        add_to_server=org_pb2_grpc.add_OrgServiceServicer_to_server,
        servicer=servicer,
        allowed_callers=ALLOWED_CALLERS,
    )
