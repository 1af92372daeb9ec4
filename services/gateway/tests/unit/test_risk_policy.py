"""The risk step of issue_session (sessions/risk.py): decisions, and the operator's policy when
risk does not answer. The risk client is a stand-in here; tests/integration/test_risk.py runs
the real service (and stops it)."""

from types import SimpleNamespace
from typing import cast

import pytest

from authmesh.events.v1 import envelope_pb2
from authmesh.risk.v1 import risk_pb2
from authmesh.session.v1 import session_pb2
from authmesh_gateway.context import GatewayContext
from authmesh_gateway.sessions.risk import assess_sign_in
from authmesh_gateway.wire.errors import ApiError
from authmesh_kit.errors import DomainError, ErrorKind


class Risk:
    def __init__(self, answer: risk_pb2.AssessResponse | DomainError) -> None:
        self._answer = answer

    async def assess(self, **_: object) -> risk_pb2.AssessResponse:
        if isinstance(self._answer, DomainError):
            raise self._answer
        return self._answer


def context(answer: risk_pb2.AssessResponse | DomainError, policy: str = "open") -> GatewayContext:
    settings = SimpleNamespace(risk_failure_policy=policy)
    return cast(GatewayContext, SimpleNamespace(risk=Risk(answer), settings=settings))


async def verdict(ctx: GatewayContext) -> session_pb2.RiskOutcome:
    return await assess_sign_in(
        ctx,
        user_id="u1",
        email="a@example.test",
        method="email",
        second_factor_satisfied=False,
        password_blocklisted=False,
        actor=envelope_pb2.Actor(ip="203.0.113.9"),
    )


def down(kind: ErrorKind) -> DomainError:
    return DomainError(kind, "UNAVAILABLE", "risk")


async def test_decisions_map_to_verdicts_and_deny_to_403() -> None:
    allow = risk_pb2.AssessResponse(
        decision=risk_pb2.DECISION_ALLOW, score=20, factors=["new_device"], assessment_id="a1"
    )
    challenge = risk_pb2.AssessResponse(decision=risk_pb2.DECISION_CHALLENGE)
    assert await verdict(context(allow)) == session_pb2.RiskOutcome(
        decision="allow", score=20, factors=["new_device"], assessment_id="a1"
    )
    assert (await verdict(context(challenge))).decision == "challenge"
    with pytest.raises(ApiError) as denied:
        await verdict(context(risk_pb2.AssessResponse(decision=risk_pb2.DECISION_DENY)))
    assert (denied.value.status, denied.value.code) == (403, "SIGN_IN_DENIED_BY_RISK")


@pytest.mark.parametrize("kind", [ErrorKind.UNAVAILABLE, ErrorKind.DEADLINE_EXCEEDED])
async def test_risk_out_of_reach_fails_open_by_default(kind: ErrorKind) -> None:
    unscored = session_pb2.RiskOutcome(decision="unavailable", factors=["risk_unavailable"])
    assert await verdict(context(down(kind))) == unscored


@pytest.mark.parametrize("kind", [ErrorKind.UNAVAILABLE, ErrorKind.DEADLINE_EXCEEDED])
async def test_risk_out_of_reach_fails_closed_when_configured(kind: ErrorKind) -> None:
    with pytest.raises(ApiError) as refused:
        await verdict(context(down(kind), policy="closed"))
    assert (refused.value.status, refused.value.code) == (503, "RISK_UNAVAILABLE")


async def test_a_refused_request_is_not_a_failure_to_reach_risk() -> None:
    bad = DomainError(ErrorKind.INVALID_ARGUMENT, "INVALID_USER_ID", "risk")
    with pytest.raises(DomainError):
        await verdict(context(bad))
