"""Sign-in history on Postgres (domain/ports.py History). A sign-in costs two statements: the
profile, reading by primary key or the (user_id, occurred_at) index, and the record (the
assessment, what it learns and its event), each one round trip without BEGIN and COMMIT around
it; only a sign-in that mails a notice takes a transaction."""

import base64
import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Column,
    DateTime,
    LargeBinary,
    Select,
    Table,
    Text,
    bindparam,
    exists,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authmesh_kit.db.engine import single_statements
from authmesh_kit.errors import DomainError, ErrorKind
from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.notifications import Message
from authmesh_kit.events.outbox import Outbox
from authmesh_risk.domain.model import Assessment, AssessmentPage, Profile, SignInPlace
from authmesh_risk.domain.scoring import Decision, Factor, LastSignIn, Score
from authmesh_risk.store.tables import assessments, known_countries, known_devices, last_sign_ins

# The hours of this many recent allowed sign-ins make a user's usual hours.
_HOURS_SAMPLE = 200

# The statements of every sign-in, built once: building a statement and its cache key costs
# more than running it.


def _profile_statement() -> Select[Any]:
    """A user's past in one row; the last sign-in's columns are NULL for a user without one."""
    user_id = bindparam("user_id", type_=Text)
    recent_hours = (
        select(func.extract("hour", assessments.c.occurred_at))
        .where(assessments.c.user_id == user_id, assessments.c.decision == Decision.ALLOW.value)
        .order_by(assessments.c.occurred_at.desc())
        .limit(_HOURS_SAMPLE)
    )
    one_row = select(literal(1)).subquery("one_row")
    return select(
        exists().where(known_devices.c.user_id == user_id).label("history"),
        exists()
        .where(
            known_devices.c.user_id == user_id,
            known_devices.c.device_hash == bindparam("device_hash", type_=LargeBinary),
        )
        .label("device"),
        exists()
        .where(
            known_countries.c.user_id == user_id,
            known_countries.c.country == bindparam("country", type_=Text),
        )
        .label("country"),
        func.array(recent_hours.scalar_subquery()).label("hours"),
        last_sign_ins.c.occurred_at,
        last_sign_ins.c.country.label("last_country"),
        last_sign_ins.c.latitude,
        last_sign_ins.c.longitude,
    ).select_from(one_row.outerjoin(last_sign_ins, last_sign_ins.c.user_id == user_id))


_PROFILE = _profile_statement()

# Parameters named apart from the outbox row's (id, subject, payload, channel) and from each
# other's, as the statements below run as CTEs of one statement.
_INSERT_ASSESSMENT = assessments.insert().values(
    {column.name: bindparam(f"assessment_{column.name}") for column in assessments.columns}
)

# What a completed sign-in teaches: its device and country become known (first_seen kept,
# last_seen the greatest, so a redelivered or late event changes nothing), its place becomes
# the last unless a newer one is.
_LEARNT_AT = bindparam("learn_at", type_=DateTime(timezone=True))
_LEARNT_USER = bindparam("learn_user_id", type_=Text)


def _seen(table: Table, key: Column[Any], value: BindParameter[Any]) -> Insert:
    """The user's `key` is known from now on: first seen kept, last seen the greatest."""
    return (
        insert(table)
        .values({"user_id": _LEARNT_USER, key.name: value})
        .values(first_seen=_LEARNT_AT, last_seen=_LEARNT_AT)
        .on_conflict_do_update(
            index_elements=[table.c.user_id, key],
            set_={"last_seen": func.greatest(table.c.last_seen, _LEARNT_AT)},
        )
    )


_UPSERT_DEVICE = _seen(
    known_devices, known_devices.c.device_hash, bindparam("learn_device_hash")
).values(family=bindparam("learn_family"))
_UPSERT_COUNTRY = _seen(known_countries, known_countries.c.country, bindparam("learn_country"))
_new_last = insert(last_sign_ins).values(
    user_id=_LEARNT_USER,
    occurred_at=_LEARNT_AT,
    country=bindparam("learn_country"),
    latitude=bindparam("learn_latitude"),
    longitude=bindparam("learn_longitude"),
)
_UPSERT_LAST = _new_last.on_conflict_do_update(
    index_elements=[last_sign_ins.c.user_id],
    set_={
        "occurred_at": _new_last.excluded.occurred_at,
        "country": _new_last.excluded.country,
        "latitude": _new_last.excluded.latitude,
        "longitude": _new_last.excluded.longitude,
    },
    where=last_sign_ins.c.occurred_at < _new_last.excluded.occurred_at,
)
# A sign-in from an address without a country teaches its device alone.
_LEARN_PLACE = _UPSERT_LAST.add_cte(
    _UPSERT_DEVICE.cte("learnt_device"), _UPSERT_COUNTRY.cte("learnt_country")
)


class PostgresHistory:
    def __init__(self, engine: AsyncEngine, outbox: Outbox) -> None:
        self._engine = engine
        self._single = single_statements(engine)  # one-statement reads and writes
        self._outbox = outbox
        assessment = _INSERT_ASSESSMENT.cte("assessment")
        device = _UPSERT_DEVICE.cte("learnt_device")
        self._record = outbox.with_changes(assessment)
        self._record_device = outbox.with_changes(assessment, device)
        self._record_place = outbox.with_changes(
            assessment,
            device,
            _UPSERT_COUNTRY.cte("learnt_country"),
            _UPSERT_LAST.cte("learnt_place"),
        )

    async def profile(self, user_id: str, device_hash: bytes, country: str) -> Profile:
        async with self._single.connect() as conn:
            row = (
                await conn.execute(
                    _PROFILE, {"user_id": user_id, "device_hash": device_hash, "country": country}
                )
            ).one()
        return Profile(
            has_history=bool(row.history),
            device_known=bool(row.device),
            country_known=bool(row.country) if country else False,
            last=LastSignIn(row.occurred_at, row.last_country, row.latitude, row.longitude)
            if row.occurred_at is not None
            else None,
            usual_hours=frozenset(int(hour) for hour in row.hours),
            history_size=len(row.hours),
        )

    async def record(
        self,
        assessment: Assessment,
        event: Envelope,
        *,
        learn: SignInPlace | None,
        notice: Message | None,
    ) -> None:
        if learn is None:
            statement, parameters = self._record, _assessment_parameters(assessment)
        else:
            statement = self._record_place if learn.country else self._record_device
            parameters = _assessment_parameters(assessment) | _learn_parameters(learn)
        parameters |= self._outbox.event_parameters(event)
        if notice is None:  # nearly every sign-in: one statement is atomic by itself
            async with self._single.connect() as conn:
                await conn.execute(statement, parameters)
            return
        async with self._engine.begin() as conn:
            await conn.execute(statement, parameters)
            await self._outbox.add_message(conn, notice)

    async def publish(self, event: Envelope) -> None:
        async with self._single.connect() as conn:
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
        async with self._single.connect() as conn:
            rows = (await conn.execute(query.limit(limit + 1))).all()
        found = [_assessment(row) for row in rows[:limit]]
        more = len(rows) > limit
        next_cursor = _cursor(found[-1]) if more and found else ""
        return AssessmentPage(found, next_cursor)


async def learn_sign_in(conn: AsyncConnection, place: SignInPlace) -> None:
    """The device and country become known; the place becomes the last unless a newer one is."""
    statement = _LEARN_PLACE if place.country else _UPSERT_DEVICE
    await conn.execute(statement, _learn_parameters(place))


def _assessment_parameters(assessment: Assessment) -> dict[str, object]:
    return {
        "assessment_id": assessment.id,
        "assessment_user_id": assessment.user_id,
        "assessment_occurred_at": assessment.occurred_at,
        "assessment_ip": assessment.ip,
        "assessment_country": assessment.country,
        "assessment_user_agent": assessment.user_agent,
        "assessment_device": assessment.device,
        "assessment_method": assessment.method,
        "assessment_score": assessment.result.score,
        "assessment_decision": assessment.result.decision.value,
        "assessment_factors": [
            {"name": f.name, "points": f.points, "detail": f.detail} for f in assessment.factors
        ],
    }


def _learn_parameters(place: SignInPlace) -> dict[str, object]:
    parameters: dict[str, object] = {
        "learn_user_id": place.user_id,
        "learn_at": place.occurred_at,
        "learn_device_hash": place.device_hash,
        "learn_family": place.device,
    }
    if place.country:
        parameters |= {
            "learn_country": place.country,
            "learn_latitude": place.latitude,
            "learn_longitude": place.longitude,
        }
    return parameters


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
