"""What risk learns from other services' events. Each handler is idempotent by itself, so the
kit's EventConsumer keeps no processed-event ids for them: the Redis counters are sorted sets
keyed by event id (a redelivery adds nothing), learning is upserts that keep the greatest time,
and forgetting is deletes.

- failures: identity's sign_in.failed, email_code.failed, phone_code.failed and mfa's
  two_factor.failed count against the account, the account+IP pair and the IP;
- sign-ups (identity's user.created) and completed sign-ins (session.created) count against
  their network; a completed sign-in also makes its device and country known and its place
  the last, unless risk allowed it (Assess learnt it then, in its own write): that is how a
  challenged sign-in, once its second factor passes, is learnt, and one risk never scored;
- a deleted user's history goes with it.
"""

from datetime import UTC as _UTC

from sqlalchemy.ext.asyncio import AsyncConnection

from authmesh.identity.v1 import identity_pb2, passwordless_pb2
from authmesh.mfa.v1 import mfa_pb2
from authmesh.session.v1 import session_pb2
from authmesh_kit.events.catalogue import (
    EMAIL_CODE_FAILED,
    PHONE_CODE_FAILED,
    SESSION_CREATED,
    SIGN_IN_FAILED,
    TWO_FACTOR_FAILED,
    USER_CREATED,
    USER_DELETED,
)
from authmesh_kit.events.envelope import Envelope, unpack
from authmesh_risk.domain.devices import device_hash, user_agent_family
from authmesh_risk.domain.geo import GeoLocator
from authmesh_risk.domain.model import SignInPlace
from authmesh_risk.domain.scoring import Decision
from authmesh_risk.store.counters import RedisCounters
from authmesh_risk.store.history import forget_user, learn_sign_in


def _failed_user(envelope: Envelope) -> str | None:
    """The user a failure event is about ("" for an unknown one), None for other events."""
    if envelope.type == SIGN_IN_FAILED.type:
        failed = unpack(envelope, SIGN_IN_FAILED)
        assert isinstance(failed, identity_pb2.SignInFailed)
        return failed.user_id
    if envelope.type == EMAIL_CODE_FAILED.type:
        code = unpack(envelope, EMAIL_CODE_FAILED)
        assert isinstance(code, passwordless_pb2.EmailCodeFailed)
        return code.user_id
    if envelope.type == PHONE_CODE_FAILED.type:
        return envelope.subject.user_id
    if envelope.type == TWO_FACTOR_FAILED.type:
        factor = unpack(envelope, TWO_FACTOR_FAILED)
        assert isinstance(factor, mfa_pb2.TwoFactorFailed)
        return factor.user_id
    return None


# The session's risk outcome (session.proto RiskOutcome) whose Assess learnt the sign-in itself;
# "challenge" and "unavailable" ones it did not learn, nor sessions without a risk step.
_ASSESS_LEARNT = Decision.ALLOW.value


def _at_ms(envelope: Envelope) -> int:
    return int(envelope.occurred_at.ToMilliseconds())


class FailureHandler:
    def __init__(self, counters: RedisCounters, geo: GeoLocator) -> None:
        self._counters = counters
        self._geo = geo

    async def __call__(self, conn: AsyncConnection, envelope: Envelope) -> None:
        user_id = _failed_user(envelope)
        if user_id is None:
            return
        place = self._geo.locate(envelope.actor.ip)
        await self._counters.add_failure(
            event_id=envelope.id, at_ms=_at_ms(envelope), user_id=user_id, ip=place.ip
        )


class SignUpHandler:
    def __init__(self, counters: RedisCounters, geo: GeoLocator) -> None:
        self._counters = counters
        self._geo = geo

    async def __call__(self, conn: AsyncConnection, envelope: Envelope) -> None:
        if envelope.type != USER_CREATED.type:
            return
        place = self._geo.locate(envelope.actor.ip)
        if place.network:
            await self._counters.add_sign_up(
                event_id=envelope.id, at_ms=_at_ms(envelope), network=place.network
            )


class SessionCreatedHandler:
    def __init__(self, counters: RedisCounters, geo: GeoLocator) -> None:
        self._counters = counters
        self._geo = geo

    async def __call__(self, conn: AsyncConnection, envelope: Envelope) -> None:
        if envelope.type != SESSION_CREATED.type:
            return
        created = unpack(envelope, SESSION_CREATED)
        assert isinstance(created, session_pb2.SessionCreated)
        if envelope.actor.user_id and envelope.actor.user_id != created.user_id:
            return  # impersonation: the admin's device and place are not the user's
        place = self._geo.locate(envelope.actor.ip)
        if not (created.HasField("risk") and created.risk.decision == _ASSESS_LEARNT):
            family = user_agent_family(envelope.actor.user_agent)
            await learn_sign_in(
                conn,
                SignInPlace(
                    user_id=created.user_id,
                    occurred_at=envelope.occurred_at.ToDatetime().replace(tzinfo=_UTC),
                    device_hash=device_hash(created.user_id, family),
                    device=family,
                    country=place.country,
                    latitude=place.latitude,
                    longitude=place.longitude,
                ),
            )
        if place.network:
            await self._counters.add_sign_in(
                event_id=envelope.id, at_ms=_at_ms(envelope), network=place.network
            )


class UserDeletedHandler:
    async def __call__(self, conn: AsyncConnection, envelope: Envelope) -> None:
        if envelope.type != USER_DELETED.type:
            return
        deleted = unpack(envelope, USER_DELETED)
        assert isinstance(deleted, identity_pb2.UserDeleted)
        await forget_user(conn, deleted.user_id)
