"""Sign-in history on Postgres (domain/ports.py History): profile reads by primary key or the
(user_id, occurred_at) index, writes in one transaction with the outbox."""

import base64
import json
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, literal, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authmesh_kit.errors import DomainError, ErrorKind
from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.notifications import Message
from authmesh_kit.events.outbox import Outbox
from authmesh_risk.domain.model import Assessment, AssessmentPage, Profile, SignInPlace
from authmesh_risk.domain.scoring import Decision, Factor, LastSignIn, Score
from authmesh_risk.store.tables import assessments, known_countries, known_devices, last_sign_ins

# The hours of this many recent allowed sign-ins make a user's usual hours.
_HOURS_SAMPLE = 200


class PostgresHistory:
    def __init__(self, engine: AsyncEngine, outbox: Outbox) -> None:
        self._engine = engine
        self._outbox = outbox

    async def profile(self, user_id: str, device_hash: bytes, country: str) -> Profile:
        async with self._engine.connect() as conn:
            known = (
                await conn.execute(
                    select(
                        exists().where(known_devices.c.user_id == user_id).label("history"),
                        exists()
                        .where(
                            known_devices.c.user_id == user_id,
                            known_devices.c.device_hash == device_hash,
                        )
                        .label("device"),
                        exists()
                        .where(
                            known_countries.c.user_id == user_id,
                            known_countries.c.country == country,
                        )
                        .label("country"),
                    )
                )
            ).one()
            last = (
                await conn.execute(select(last_sign_ins).where(last_sign_ins.c.user_id == user_id))
            ).first()
            recent = (
                select(assessments.c.occurred_at)
                .where(assessments.c.user_id == user_id, assessments.c.decision == "allow")
                .order_by(assessments.c.occurred_at.desc())
                .limit(_HOURS_SAMPLE)
                .subquery()
            )
            hours = (
                (await conn.execute(select(func.extract("hour", recent.c.occurred_at))))
                .scalars()
                .all()
            )
        return Profile(
            has_history=bool(known.history),
            device_known=bool(known.device),
            country_known=bool(known.country) if country else False,
            last=LastSignIn(last.occurred_at, last.country, last.latitude, last.longitude)
            if last is not None
            else None,
            usual_hours=frozenset(int(hour) for hour in hours),
            history_size=len(hours),
        )

    async def record(
        self,
        assessment: Assessment,
        event: Envelope,
        *,
        learn: SignInPlace | None,
        notice: Message | None,
    ) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                assessments.insert().values(
                    id=assessment.id,
                    user_id=assessment.user_id,
                    occurred_at=assessment.occurred_at,
                    ip=assessment.ip,
                    country=assessment.country,
                    user_agent=assessment.user_agent,
                    device=assessment.device,
                    method=assessment.method,
                    score=assessment.result.score,
                    decision=assessment.result.decision.value,
                    factors=[
                        {"name": f.name, "points": f.points, "detail": f.detail}
                        for f in assessment.factors
                    ],
                )
            )
            if learn is not None:
                await learn_sign_in(conn, learn)
            await self._outbox.add(conn, event)
            if notice is not None:
                await self._outbox.add_message(conn, notice)

    async def publish(self, event: Envelope) -> None:
        async with self._engine.begin() as conn:
            await self._outbox.add(conn, event)

    async def page(self, user_id: str, limit: int, cursor: str) -> AssessmentPage:
        query = select(assessments).where(assessments.c.user_id == user_id)
        if cursor:
            at, last_id = _read_cursor(cursor)
            query = query.where(
                tuple_(assessments.c.occurred_at, assessments.c.id)
                < tuple_(literal(at), literal(last_id))
            )
        query = query.order_by(assessments.c.occurred_at.desc(), assessments.c.id.desc())
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.limit(limit + 1))).all()
        found = [_assessment(row) for row in rows[:limit]]
        more = len(rows) > limit
        next_cursor = _cursor(found[-1]) if more and found else ""
        return AssessmentPage(found, next_cursor)


async def learn_sign_in(conn: AsyncConnection, place: SignInPlace) -> None:
    """The device and country become known; the place becomes the last unless a newer one is."""
    at = place.occurred_at
    await conn.execute(
        insert(known_devices)
        .values(
            user_id=place.user_id,
            device_hash=place.device_hash,
            family=place.device,
            first_seen=at,
            last_seen=at,
        )
        .on_conflict_do_update(
            index_elements=[known_devices.c.user_id, known_devices.c.device_hash],
            set_={"last_seen": func.greatest(known_devices.c.last_seen, at)},
        )
    )
    if not place.country:
        return
    await conn.execute(
        insert(known_countries)
        .values(user_id=place.user_id, country=place.country, first_seen=at, last_seen=at)
        .on_conflict_do_update(
            index_elements=[known_countries.c.user_id, known_countries.c.country],
            set_={"last_seen": func.greatest(known_countries.c.last_seen, at)},
        )
    )
    values = {
        "occurred_at": at,
        "country": place.country,
        "latitude": place.latitude,
        "longitude": place.longitude,
    }
    await conn.execute(
        insert(last_sign_ins)
        .values(user_id=place.user_id, **values)
        .on_conflict_do_update(
            index_elements=[last_sign_ins.c.user_id],
            set_=values,
            where=last_sign_ins.c.occurred_at < at,
        )
    )


async def forget_user(conn: AsyncConnection, user_id: str) -> None:
    for table in (assessments, known_devices, known_countries, last_sign_ins):
        await conn.execute(table.delete().where(table.c.user_id == user_id))


def _assessment(row: Any) -> Assessment:
    factors = [Factor(f["name"], int(f["points"]), f["detail"]) for f in row.factors]
    return Assessment(
        id=row.id,
        user_id=row.user_id,
        occurred_at=row.occurred_at,
        ip=row.ip,
        country=row.country,
        user_agent=row.user_agent,
        device=row.device,
        method=row.method,
        result=Score(row.score, Decision(row.decision), factors),
    )


def _cursor(assessment: Assessment) -> str:
    raw = json.dumps([assessment.occurred_at.isoformat(), assessment.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def invalid_cursor() -> DomainError:
    return DomainError(ErrorKind.INVALID_ARGUMENT, "INVALID_CURSOR", "risk", "Invalid cursor")


def _read_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, last_id = json.loads(raw)
        return datetime.fromisoformat(at), str(last_id)
    except (ValueError, TypeError) as error:
        raise invalid_cursor() from error
