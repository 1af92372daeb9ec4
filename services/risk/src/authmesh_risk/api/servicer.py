"""The risk.v1 gRPC servicer and who may call it.

The RPCs are not implemented yet: the generated `RiskServiceServicer` is registered as it is,
and the kit answers its `NotImplementedError` with UNIMPLEMENTED.
"""

from authmesh.risk.v1 import risk_pb2_grpc
from authmesh_kit.grpc.server import Registration

ALLOWED_CALLERS = {
    "Assess": frozenset({"gateway"}),
}


def registration(servicer: risk_pb2_grpc.RiskServiceServicer) -> Registration:
    return Registration(
        service_name="authmesh.risk.v1.RiskService",
        add_to_server=risk_pb2_grpc.add_RiskServiceServicer_to_server,
        servicer=servicer,
        allowed_callers=ALLOWED_CALLERS,
    )
