"""The mfa.v1 gRPC servicer and who may call it.

The RPCs are not implemented yet: the generated `MfaServiceServicer` is registered as it is,
and the kit answers its `NotImplementedError` with UNIMPLEMENTED.
"""

from authmesh.mfa.v1 import mfa_pb2_grpc
from authmesh_kit.grpc.server import Registration

ALLOWED_CALLERS = {
    "GetFactors": frozenset({"gateway"}),
}


def registration(servicer: mfa_pb2_grpc.MfaServiceServicer) -> Registration:
    return Registration(
        service_name="authmesh.mfa.v1.MfaService",
        add_to_server=mfa_pb2_grpc.add_MfaServiceServicer_to_server,
        servicer=servicer,
        allowed_callers=ALLOWED_CALLERS,
    )
