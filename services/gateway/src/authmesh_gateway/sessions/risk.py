"""The risk step of `issue_session` (sessions/issue.py): risk.Assess within its deadline, and
the operator's policy when risk does not answer (AUTHMESH_RISK_FAILURE_POLICY).

- allow: the sign-in goes on;
- challenge: a second factor is owed even by a user without one (mfa mails a code then);
  a sign-in that already carries a second factor (a passed challenge, a user-verified
  passkey) is allowed by risk itself;
- deny: 403 SIGN_IN_DENIED_BY_RISK, no session (the factors are in the risk history and in
  the auth.risk.assessment.recorded event, never in the answer, which would coach an attacker);
- risk down or late: `open` (default) goes on unscored — logged with the factor
  `risk_unavailable`, and recorded durably in the session's session.created event (decision
  `unavailable`), so audit shows which sessions risk never saw; `closed` refuses with 503
  RISK_UNAVAILABLE.

The outcome rides on session.Create into session.created (session.proto RiskOutcome).
"""

import structlog

from authmesh.events.v1 import envelope_pb2
from authmesh.risk.v1 import risk_pb2
from authmesh.session.v1 import session_pb2
from authmesh_gateway.context import GatewayContext
from authmesh_gateway.wire.errors import ApiError
from authmesh_kit.errors import DomainError, ErrorKind

log = structlog.get_logger(__name__)

SIGN_IN_DENIED = "SIGN_IN_DENIED_BY_RISK"
SIGN_IN_DENIED_MESSAGE = "This sign-in was refused for the account's safety. Try again later."
RISK_UNAVAILABLE = "RISK_UNAVAILABLE"
RISK_UNAVAILABLE_MESSAGE = "Sign-in is temporarily unavailable. Please try again later."
_UNREACHABLE = (ErrorKind.UNAVAILABLE, ErrorKind.DEADLINE_EXCEEDED, ErrorKind.INTERNAL)


ALLOW = "allow"
CHALLENGE = "challenge"
UNAVAILABLE = "unavailable"
UNAVAILABLE_FACTOR = "risk_unavailable"


async def assess_sign_in(
    ctx: GatewayContext,
    *,
    user_id: str,
    email: str,
    method: str,
    second_factor_satisfied: bool,
    password_blocklisted: bool,
    actor: envelope_pb2.Actor,
) -> session_pb2.RiskOutcome:
    """The outcome of a sign-in risk lets go on (allow, challenge, or unavailable under the
    `open` policy); 403 SIGN_IN_DENIED_BY_RISK or 503 RISK_UNAVAILABLE otherwise."""
    try:
        answer = await ctx.risk.assess(
            user_id=user_id,
            email=email,
            method=method,
            second_factor_satisfied=second_factor_satisfied,
            password_blocklisted=password_blocklisted,
            actor=actor,
        )
    except DomainError as error:
        if error.kind not in _UNREACHABLE:
            raise
        return _unavailable(ctx, user_id, error)
    if answer.decision == risk_pb2.DECISION_DENY:
        raise ApiError(403, SIGN_IN_DENIED, SIGN_IN_DENIED_MESSAGE)
    return session_pb2.RiskOutcome(
        decision=CHALLENGE if answer.decision == risk_pb2.DECISION_CHALLENGE else ALLOW,
        score=answer.score,
        factors=answer.factors,
        assessment_id=answer.assessment_id,
    )


def _unavailable(ctx: GatewayContext, user_id: str, error: DomainError) -> session_pb2.RiskOutcome:
    policy = ctx.settings.risk_failure_policy
    log.warning(
        "risk unavailable",
        factor=UNAVAILABLE_FACTOR,
        policy=policy,
        user_id=user_id,
        error=error.kind.value,
    )
    if policy == "closed":
        raise ApiError(503, RISK_UNAVAILABLE, RISK_UNAVAILABLE_MESSAGE)
    return session_pb2.RiskOutcome(decision=UNAVAILABLE, factors=[UNAVAILABLE_FACTOR])
