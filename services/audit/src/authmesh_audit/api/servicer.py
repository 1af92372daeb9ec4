"""The audit.v1 gRPC servicer."""

from collections.abc import AsyncIterator
from typing import Any

from grpc.aio import ServicerContext

from authmesh.audit.v1 import audit_pb2, audit_pb2_grpc
from authmesh_audit.api.mappers import entry_to_proto, filter_from_proto, verification_to_proto
from authmesh_audit.domain.ports import AuditStore, ChainStore
from authmesh_audit.domain.use_cases.list_events import export_events, list_events
from authmesh_audit.domain.use_cases.verify_chain import verify_chain
from authmesh_kit.grpc.server import Registration

ALLOWED_CALLERS = {
    "ListEvents": frozenset({"gateway"}),
    "ExportEvents": frozenset({"gateway"}),
    "VerifyChain": frozenset({"gateway"}),
}


class AuditServicer(audit_pb2_grpc.AuditServiceServicer):
    def __init__(self, store: AuditStore, chains: ChainStore) -> None:
        self._store = store
        self._chains = chains

    async def ListEvents(
        self, request: audit_pb2.ListEventsRequest, context: ServicerContext[Any, Any]
    ) -> audit_pb2.ListEventsResponse:
        page = await list_events(
            self._store,
            filter_from_proto(request.filter, request.user_id),
            limit=request.limit,
            cursor=request.cursor,
        )
        return audit_pb2.ListEventsResponse(
            entries=[entry_to_proto(entry) for entry in page.entries], next_cursor=page.next_cursor
        )

    async def ExportEvents(
        self, request: audit_pb2.ExportEventsRequest, context: ServicerContext[Any, Any]
    ) -> AsyncIterator[audit_pb2.AuditEntry]:
        async for chained in export_events(self._store, filter_from_proto(request.filter)):
            yield entry_to_proto(chained)

    async def VerifyChain(
        self, request: audit_pb2.VerifyChainRequest, context: ServicerContext[Any, Any]
    ) -> audit_pb2.VerifyChainResponse:
        return verification_to_proto(await verify_chain(self._chains))


def registration(servicer: AuditServicer) -> Registration:
    return Registration(
        service_name="authmesh.audit.v1.AuditService",
        add_to_server=audit_pb2_grpc.add_AuditServiceServicer_to_server,
        servicer=servicer,
        allowed_callers=ALLOWED_CALLERS,
    )
