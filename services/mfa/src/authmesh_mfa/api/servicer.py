"""The mfa.v1 gRPC servicer and who may call it.

Its RPCs are contracts a later issue implements; until then they answer UNIMPLEMENTED.
"""

from typing import Any

from grpc.aio import ServicerContext

from authmesh.mfa.v1 import mfa_pb2, mfa_pb2_grpc
from authmesh_kit.errors import not_implemented_yet
from authmesh_kit.grpc.server import Registration

ALLOWED_CALLERS = {
    "GetFactors": frozenset({"gateway"}),
}


class MfaServicer(mfa_pb2_grpc.MfaServiceServicer):
    """Second factors and passkeys arrive with the two-factor issue."""

    async def GetFactors(
        self, request: mfa_pb2.GetFactorsRequest, context: ServicerContext[Any, Any]
    ) -> mfa_pb2.GetFactorsResponse:
        raise not_implemented_yet("mfa")


def registration(servicer: MfaServicer) -> Registration:
    return Registration(
        service_name="authmesh.mfa.v1.MfaService",
        add_to_server=mfa_pb2_grpc.add_MfaServiceServicer_to_server,
        servicer=servicer,
        allowed_callers=ALLOWED_CALLERS,
    )
