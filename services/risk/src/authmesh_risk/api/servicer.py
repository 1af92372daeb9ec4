"""The risk.v1 gRPC servicer (risk.proto): decode, call one use case, encode."""

from datetime import UTC
from typing import Any

from google.protobuf import timestamp_pb2
from grpc.aio import ServicerContext
from prometheus_client import Counter

from authmesh.events.v1 import envelope_pb2
from authmesh.risk.v1 import risk_pb2, risk_pb2_grpc
from authmesh_kit.errors import DomainError, ErrorKind
from authmesh_kit.grpc.server import Registration
from authmesh_risk.domain.assessing import (
    DECISIONS,
    Policy,
    SignIn,
    assess,
    factor_to_proto,
    failures_cleared_event,
)
from authmesh_risk.domain.geo import GeoLocator
from authmesh_risk.domain.model import Assessment
from authmesh_risk.domain.ports import Counters
from authmesh_risk.domain.scoring import Decision
from authmesh_risk.store.history import PostgresHistory

GATEWAY = frozenset({"gateway"})
ALLOWED_CALLERS = {
    "Assess": GATEWAY,
    "ListAssessments": GATEWAY,
    "ClearFailures": GATEWAY,
}
_DECIDED = Counter(
    "authmesh_risk_decisions_total", "Sign-ins assessed, by the decision recorded", ["decision"]
)
# Resolved once per decision: the series exist, at 0, from the start.
_BY_DECISION = {decision: _DECIDED.labels(decision.value) for decision in Decision}
_DEFAULT_PAGE = 20
_MAX_PAGE = 100
_MAX_ID = 255


def _actor(request: Any) -> envelope_pb2.Actor | None:
    actor: envelope_pb2.Actor = request.actor
    return actor if request.HasField("actor") else None


def _user_id(value: str) -> str:
    if not value or len(value) > _MAX_ID:
        raise DomainError(ErrorKind.INVALID_ARGUMENT, "INVALID_USER_ID", "risk", "Invalid user id")
    return value


def _timestamp(assessment: Assessment) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(assessment.occurred_at)
    return stamp


def _assessment(assessment: Assessment) -> risk_pb2.Assessment:
    return risk_pb2.Assessment(
        id=assessment.id,
        user_id=assessment.user_id,
        occurred_at=_timestamp(assessment),
        ip=assessment.ip,
        country=assessment.country,
        user_agent=assessment.user_agent,
        method=assessment.method,
        score=assessment.result.score,
        decision=DECISIONS[assessment.result.decision],
        factors=[factor_to_proto(factor) for factor in assessment.factors],
    )


class RiskServicer(risk_pb2_grpc.RiskServiceServicer):
    def __init__(
        self,
        history: PostgresHistory,
        counters: Counters,
        geo: GeoLocator,
        policy: Policy,
    ) -> None:
        self._history = history
        self._counters = counters
        self._geo = geo
        self._policy = policy

    async def Assess(
        self, request: risk_pb2.AssessRequest, context: ServicerContext[Any, Any]
    ) -> risk_pb2.AssessResponse:
        caller_time = (
            request.occurred_at.ToDatetime().replace(tzinfo=UTC)
            if request.HasField("occurred_at")
            else None
        )
        assessment = await assess(
            self._history,
            self._counters,
            self._geo,
            self._policy,
            SignIn(
                user_id=_user_id(request.user_id),
                ip=request.ip,
                user_agent=request.user_agent,
                method=request.method[:64],
                email=request.email,
                caller_time=caller_time,
                second_factor_satisfied=request.second_factor_satisfied,
                password_blocklisted=request.password_blocklisted,
                actor=_actor(request),
            ),
        )
        _BY_DECISION[assessment.result.decision].inc()
        return risk_pb2.AssessResponse(
            score=assessment.result.score,
            decision=DECISIONS[assessment.result.decision],
            factors=[factor.name for factor in assessment.factors],
            assessment_id=assessment.id,
            details=[factor_to_proto(factor) for factor in assessment.factors],
            country=assessment.country,
        )

    async def ListAssessments(
        self, request: risk_pb2.ListAssessmentsRequest, context: ServicerContext[Any, Any]
    ) -> risk_pb2.ListAssessmentsResponse:
        limit = request.limit or _DEFAULT_PAGE
        if not 1 <= limit <= _MAX_PAGE:
            raise DomainError(
                ErrorKind.INVALID_ARGUMENT, "INVALID_LIMIT", "risk", "limit must be 1..100"
            )
        page = await self._history.page(_user_id(request.user_id), limit, request.cursor)
        return risk_pb2.ListAssessmentsResponse(
            assessments=[_assessment(found) for found in page.assessments],
            next_cursor=page.next_cursor,
        )

    async def ClearFailures(
        self, request: risk_pb2.ClearFailuresRequest, context: ServicerContext[Any, Any]
    ) -> risk_pb2.ClearFailuresResponse:
        user_id = _user_id(request.user_id)
        await self._counters.clear_user(user_id)
        await self._history.publish(failures_cleared_event(user_id, _actor(request)))
        return risk_pb2.ClearFailuresResponse()


def registration(servicer: RiskServicer) -> Registration:
    return Registration(
        service_name="authmesh.risk.v1.RiskService",
        add_to_server=risk_pb2_grpc.add_RiskServiceServicer_to_server,
        servicer=servicer,
        allowed_callers=ALLOWED_CALLERS,
    )
