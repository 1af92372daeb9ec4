"""Assess: gather a sign-in's signals, score it, record the assessment and its event, and mail
the user when the sign-in comes from a device or country never seen for them."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from authmesh.risk.v1 import risk_pb2
from authmesh_kit.events.catalogue import RISK_ASSESSMENT_RECORDED, RISK_FAILURES_CLEARED
from authmesh_kit.events.envelope import Actor, Envelope, build_envelope
from authmesh_kit.events.notifications import EMAIL, Message, build_message
from authmesh_kit.ids import new_id
from authmesh_risk.domain.devices import device_hash, user_agent_family
from authmesh_risk.domain.geo import GeoLocator, Place
from authmesh_risk.domain.model import Assessment, SignInPlace
from authmesh_risk.domain.ports import Counters, History
from authmesh_risk.domain.scoring import (
    Decision,
    Factor,
    Signals,
    Thresholds,
    Weights,
    score,
)

NEW_SIGN_IN = "new-sign-in"
_NOTICE_LIFETIME = timedelta(days=1)
_MAX_IP = 64
_MAX_USER_AGENT = 512
DECISIONS = {
    Decision.ALLOW: risk_pb2.DECISION_ALLOW,
    Decision.CHALLENGE: risk_pb2.DECISION_CHALLENGE,
    Decision.DENY: risk_pb2.DECISION_DENY,
}


@dataclass(frozen=True)
class SignIn:
    user_id: str
    ip: str
    user_agent: str
    method: str
    email: str
    caller_time: datetime | None
    second_factor_satisfied: bool
    password_blocklisted: bool
    actor: Actor | None


@dataclass(frozen=True)
class Policy:
    weights: Weights
    thresholds: Thresholds
    notify_new_sign_in: bool


async def assess(
    history: History,
    counters: Counters,
    geo: GeoLocator,
    policy: Policy,
    sign_in: SignIn,
) -> Assessment:
    now = datetime.now(UTC)
    place = geo.locate(sign_in.ip)
    family = user_agent_family(sign_in.user_agent)
    device = device_hash(sign_in.user_id, family)
    profile = await history.profile(sign_in.user_id, device, place.country)
    counts = await counters.read(
        now_ms=int(now.timestamp() * 1000),
        user_id=sign_in.user_id,
        ip=place.ip,
        network=place.network,
    )
    skew = (sign_in.caller_time - now).total_seconds() if sign_in.caller_time else None
    result = score(
        Signals(
            place=place,
            now=now,
            user_agent_family=family,
            has_history=profile.has_history,
            device_known=profile.device_known,
            country_known=profile.country_known,
            last=profile.last,
            usual_hours=profile.usual_hours,
            history_size=profile.history_size,
            account_failures=counts.account_failures,
            pair_failures=counts.pair_failures,
            ip_failures=counts.ip_failures,
            network_sign_ups=counts.network_sign_ups,
            network_sign_ins=counts.network_sign_ins,
            clock_skew_s=skew,
            password_blocklisted=sign_in.password_blocklisted,
            second_factor_satisfied=sign_in.second_factor_satisfied,
        ),
        policy.weights,
        policy.thresholds,
    )
    assessment = Assessment(
        id=new_id(),
        user_id=sign_in.user_id,
        occurred_at=now,
        ip=sign_in.ip.strip()[:_MAX_IP],
        country=place.country,
        user_agent=sign_in.user_agent[:_MAX_USER_AGENT],
        device=family,
        method=sign_in.method,
        result=result,
    )
    allowed = result.decision is Decision.ALLOW
    learn = _learned(sign_in.user_id, now, device, family, place) if allowed else None
    notice = None
    if allowed and policy.notify_new_sign_in and sign_in.email:
        notice = _notice(sign_in, assessment, place)
    await history.record(
        assessment, recorded_event(assessment, sign_in.actor), learn=learn, notice=notice
    )
    return assessment


def _learned(user_id: str, now: datetime, device: bytes, family: str, place: Place) -> SignInPlace:
    return SignInPlace(
        user_id=user_id,
        occurred_at=now,
        device_hash=device,
        device=family,
        country=place.country,
        latitude=place.latitude,
        longitude=place.longitude,
    )


def _notice(sign_in: SignIn, assessment: Assessment, place: Place) -> Message | None:
    """The "new sign-in" mail, for a user with a past whose device or country is new."""
    names = {factor.name for factor in assessment.factors}
    if not names & {"new_device", "new_country"}:
        return None
    return build_message(
        NEW_SIGN_IN,
        channel=EMAIL,
        to=sign_in.email,
        expires_at=assessment.occurred_at + _NOTICE_LIFETIME,
        fields={
            "time": assessment.occurred_at.strftime("%Y-%m-%d %H:%M UTC"),
            "device": assessment.device,
            "place": place.country,
            "ip": place.ip,
        },
        user_id=sign_in.user_id,
    )


def factor_to_proto(factor: Factor) -> risk_pb2.Factor:
    return risk_pb2.Factor(name=factor.name, points=factor.points, detail=factor.detail)


def recorded_event(assessment: Assessment, actor: Actor | None) -> Envelope:
    return build_envelope(
        RISK_ASSESSMENT_RECORDED,
        risk_pb2.AssessmentRecorded(
            assessment_id=assessment.id,
            user_id=assessment.user_id,
            score=assessment.result.score,
            decision=DECISIONS[assessment.result.decision],
            factors=[factor_to_proto(factor) for factor in assessment.factors],
            method=assessment.method,
            country=assessment.country,
        ),
        actor=actor,
        user_id=assessment.user_id,
    )


def failures_cleared_event(user_id: str, actor: Actor | None) -> Envelope:
    return build_envelope(
        RISK_FAILURES_CLEARED,
        risk_pb2.FailuresCleared(user_id=user_id),
        actor=actor,
        user_id=user_id,
    )
