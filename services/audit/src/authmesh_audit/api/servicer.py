"""The audit.v1 gRPC servicer."""

from typing import Any

from grpc.aio import ServicerContext

from authmesh.audit.v1 import audit_pb2, audit_pb2_grpc
from authmesh_audit.api.mappers import entry_to_proto
from authmesh_audit.domain.ports import AuditStore
from authmesh_audit.domain.use_cases.list_events import list_events
from authmesh_kit.grpc.server import Registration

ALLOWED_CALLERS = {"ListEvents": frozenset({"gateway"})}


class AuditServicer(audit_pb2_grpc.AuditServiceServicer):
    def __init__(self, store: AuditStore) -> None:
        self._store = store

    async def ListEvents(
        self, request: audit_pb2.ListEventsRequest, context: ServicerContext[Any, Any]
    ) -> audit_pb2.ListEventsResponse:
        page = await list_events(
            self._store, user_id=request.user_id, limit=request.limit, cursor=request.cursor
        )
        return audit_pb2.ListEventsResponse(
            entries=[entry_to_proto(entry) for entry in page.entries], next_cursor=page.next_cursor
        )


def registration(servicer: AuditServicer) -> Registration:
    return Registration(
        service_name="authmesh.audit.v1.AuditService",
        add_to_server=audit_pb2_grpc.add_AuditServiceServicer_to_server,
        servicer=servicer,
        allowed_callers=ALLOWED_CALLERS,
    )
