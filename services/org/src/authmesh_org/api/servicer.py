"""The org.v1 gRPC servicer and who may call it.

The RPCs are not implemented yet: the generated `OrgServiceServicer` is registered as it is,
and the kit answers its `NotImplementedError` with UNIMPLEMENTED.
"""

from authmesh.org.v1 import org_pb2_grpc
from authmesh_kit.grpc.server import Registration

ALLOWED_CALLERS = {
    # DESIGN §1: internal backends call it too; each is added here by name.
    "CheckPermission": frozenset({"gateway"}),
}


def registration(servicer: org_pb2_grpc.OrgServiceServicer) -> Registration:
    return Registration(
        service_name="authmesh.org.v1.OrgService",
        add_to_server=org_pb2_grpc.add_OrgServiceServicer_to_server,
        servicer=servicer,
        allowed_callers=ALLOWED_CALLERS,
    )
