"""The risk.v1 gRPC servicer and who may call it.

Its RPCs are contracts a later issue implements; until then they answer UNIMPLEMENTED.
"""

from typing import Any

from grpc.aio import ServicerContext

from authmesh.risk.v1 import risk_pb2, risk_pb2_grpc
from authmesh_kit.errors import not_implemented_yet
from authmesh_kit.grpc.server import Registration

ALLOWED_CALLERS = {
    "Assess": frozenset({"gateway"}),
}


class RiskServicer(risk_pb2_grpc.RiskServiceServicer):
    """Risk scoring arrives with the audit-and-risk issue."""

    async def Assess(
        self, request: risk_pb2.AssessRequest, context: ServicerContext[Any, Any]
    ) -> risk_pb2.AssessResponse:
        raise not_implemented_yet("risk")


def registration(servicer: RiskServicer) -> Registration:
    return Registration(
        service_name="authmesh.risk.v1.RiskService",
        add_to_server=risk_pb2_grpc.add_RiskServiceServicer_to_server,
        servicer=servicer,
        allowed_callers=ALLOWED_CALLERS,
    )
