"""The risk step of `issue_session` (sessions/issue.py): risk.Assess within its deadline, and
the operator's policy when risk does not answer (AUTHMESH_RISK_FAILURE_POLICY).

- allow: the sign-in goes on;
- challenge: a second factor is owed even by a user without one (mfa mails a code then);
  a sign-in that already carries a second factor (a passed challenge, a user-verified
  passkey) is allowed by risk itself;
- deny: 403 SIGN_IN_DENIED_BY_RISK, no session (the factors are in the risk history and in
  the auth.risk.assessment.recorded event, never in the answer, which would coach an attacker);
- risk down or late: `open` (default) goes on as allowed and logs the factor
  `risk_unavailable`; `closed` refuses with 503 RISK_UNAVAILABLE.
"""

from enum import Enum

import structlog

from authmesh.events.v1 import envelope_pb2
from authmesh.risk.v1 import risk_pb2
from authmesh_gateway.context import GatewayContext
from authmesh_gateway.wire.errors import ApiError
from authmesh_kit.errors import DomainError, ErrorKind

log = structlog.get_logger(__name__)

SIGN_IN_DENIED = "SIGN_IN_DENIED_BY_RISK"
SIGN_IN_DENIED_MESSAGE = "This sign-in was refused for the account's safety. Try again later."
RISK_UNAVAILABLE = "RISK_UNAVAILABLE"
RISK_UNAVAILABLE_MESSAGE = "Sign-in is temporarily unavailable. Please try again later."
_UNREACHABLE = (ErrorKind.UNAVAILABLE, ErrorKind.DEADLINE_EXCEEDED, ErrorKind.INTERNAL)


class RiskVerdict(Enum):
    ALLOW = "allow"
    CHALLENGE = "challenge"


async def assess_sign_in(
    ctx: GatewayContext,
    *,
    user_id: str,
    email: str,
    method: str,
    second_factor_satisfied: bool,
    actor: envelope_pb2.Actor,
) -> RiskVerdict:
    try:
        answer = await ctx.risk.assess(
            user_id=user_id,
            email=email,
            method=method,
            second_factor_satisfied=second_factor_satisfied,
            actor=actor,
        )
    except DomainError as error:
        if error.kind not in _UNREACHABLE:
            raise
        return _unavailable(ctx, user_id, error)
    if answer.decision == risk_pb2.DECISION_DENY:
        raise ApiError(403, SIGN_IN_DENIED, SIGN_IN_DENIED_MESSAGE)
    if answer.decision == risk_pb2.DECISION_CHALLENGE:
        return RiskVerdict.CHALLENGE
    return RiskVerdict.ALLOW


def _unavailable(ctx: GatewayContext, user_id: str, error: DomainError) -> RiskVerdict:
    policy = ctx.settings.risk_failure_policy
    log.warning(
        "risk unavailable",
        factor="risk_unavailable",
        policy=policy,
        user_id=user_id,
        error=error.kind.value,
    )
    if policy == "closed":
        raise ApiError(503, RISK_UNAVAILABLE, RISK_UNAVAILABLE_MESSAGE)
    return RiskVerdict.ALLOW
