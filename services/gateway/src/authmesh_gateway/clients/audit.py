"""Typed calls to the audit service: the filtered listing, the streamed export and the chain
check."""

from collections.abc import AsyncGenerator

from authmesh.audit.v1 import audit_pb2, audit_pb2_grpc
from authmesh_kit.grpc.client import ServiceChannel

# An export of millions of entries runs for minutes; it streams, so only a stall matters, and
# the client disconnecting cancels the call.
_EXPORT_TIMEOUT_S = 3600.0
# A verification walks the whole chain.
_VERIFY_TIMEOUT_S = 600.0


class AuditClient:
    def __init__(self, channel: ServiceChannel) -> None:
        self._channel = channel
        self._stub = audit_pb2_grpc.AuditServiceStub(channel.channel)

    async def list_events(
        self, event_filter: audit_pb2.EventFilter, *, limit: int, cursor: str
    ) -> audit_pb2.ListEventsResponse:
        request = audit_pb2.ListEventsRequest(filter=event_filter, limit=limit, cursor=cursor)
        return await self._channel.call(self._stub.ListEvents, request)

    def export_events(
        self, event_filter: audit_pb2.EventFilter
    ) -> AsyncGenerator[audit_pb2.AuditEntry, None]:
        request = audit_pb2.ExportEventsRequest(filter=event_filter)
        return self._channel.stream(self._stub.ExportEvents, request, _EXPORT_TIMEOUT_S)

    async def verify_chain(self) -> audit_pb2.VerifyChainResponse:
        return await self._channel.call(
            self._stub.VerifyChain, audit_pb2.VerifyChainRequest(), timeout_s=_VERIFY_TIMEOUT_S
        )
