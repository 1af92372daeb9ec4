"""Typed calls to the risk service (risk.proto), over the risk channel."""

from datetime import UTC, datetime

from google.protobuf import timestamp_pb2

from authmesh.events.v1 import envelope_pb2
from authmesh.risk.v1 import risk_pb2, risk_pb2_grpc
from authmesh_kit.grpc.client import ServiceChannel


class RiskClient:
    def __init__(self, channel: ServiceChannel, assess_timeout_s: float) -> None:
        self._channel = channel
        self._stub = risk_pb2_grpc.RiskServiceStub(channel.channel)
        self._assess_timeout_s = assess_timeout_s

    async def assess(
        self,
        *,
        user_id: str,
        email: str,
        method: str,
        second_factor_satisfied: bool,
        password_blocklisted: bool,
        actor: envelope_pb2.Actor,
    ) -> risk_pb2.AssessResponse:
        now = timestamp_pb2.Timestamp()
        now.FromDatetime(datetime.now(UTC))
        request = risk_pb2.AssessRequest(
            user_id=user_id,
            ip=actor.ip,
            user_agent=actor.user_agent,
            method=method,
            email=email,
            occurred_at=now,
            second_factor_satisfied=second_factor_satisfied,
            password_blocklisted=password_blocklisted,
            actor=actor,
        )
        return await self._channel.call(
            self._stub.Assess, request, timeout_s=self._assess_timeout_s
        )

    async def list_assessments(
        self, *, user_id: str, limit: int, cursor: str
    ) -> risk_pb2.ListAssessmentsResponse:
        request = risk_pb2.ListAssessmentsRequest(user_id=user_id, limit=limit, cursor=cursor)
        return await self._channel.call(self._stub.ListAssessments, request)

    async def clear_failures(self, *, user_id: str, actor: envelope_pb2.Actor) -> None:
        request = risk_pb2.ClearFailuresRequest(user_id=user_id, actor=actor)
        await self._channel.call(self._stub.ClearFailures, request)
