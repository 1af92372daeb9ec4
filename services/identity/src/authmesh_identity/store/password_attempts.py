"""The password-attempt counts (domain/password_throttle.py), on Postgres: per account key, and
per account key and client address.

Counting is one `INSERT … ON CONFLICT DO UPDATE … RETURNING` per key: the conflicting row is
locked and re-read by each concurrent upsert in turn, so N concurrent attempts add exactly N,
and the one that reaches a threshold sets the delay (or meets the cap) that the following ones
see. The account row is counted first and stays locked until the transaction ends, so the
attempts of one account are serialized; when the pair then turns out to be delayed, the
account's count is taken back in the same transaction and the attempt is refused, uncounted.
An update's WHERE makes a capped account or a delayed pair return no row.
"""

from datetime import datetime, timedelta

from sqlalchemy import Interval, case, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from authmesh_identity.domain.passwords import AttemptCount, ThrottlePolicy
from authmesh_identity.store.tables import password_attempts, password_pair_attempts

_account = password_attempts
_pair = password_pair_attempts


def _delay(throttle: ThrottlePolicy, failures: ColumnElement[int]) -> ColumnElement[timedelta]:
    """`delay` doubled per failure past `lock_after`, at most `lock_for`."""
    grown = throttle.delay.total_seconds() * func.power(2, failures - throttle.lock_after)
    seconds = func.least(throttle.lock_for.total_seconds(), grown)
    return func.make_interval(0, 0, 0, 0, 0, 0, seconds, type_=Interval)


async def count_attempt(
    conn: AsyncConnection, key: bytes, ip: str, throttle: ThrottlePolicy
) -> AttemptCount:
    while True:
        account = await _count_account(conn, key, throttle)
        if account is None:
            capped = (
                await conn.execute(select(_account.c.failures).where(_account.c.account_key == key))
            ).scalar()
            if capped is not None:
                return AttemptCount(False, capped, None)
            continue  # a right password cleared the key between the two statements
        counted, delayed_until = await _count_pair(conn, key, ip, throttle)
        if counted:
            return AttemptCount(True, account, delayed_until)
        # The pair is delayed: take the account's count back (its row is still ours).
        await conn.execute(
            _account.update()
            .where(_account.c.account_key == key)
            .values(failures=_account.c.failures - 1)
        )
        locked_until = (
            await conn.execute(
                select(_pair.c.locked_until).where(_pair.c.account_key == key, _pair.c.ip == ip)
            )
        ).scalar()
        return AttemptCount(False, account - 1, locked_until)


async def _count_account(conn: AsyncConnection, key: bytes, throttle: ThrottlePolicy) -> int | None:
    upsert = (
        insert(_account)
        .values(account_key=key, failures=1, locked_until=None)
        .on_conflict_do_update(
            index_elements=[_account.c.account_key],
            set_={"failures": _account.c.failures + 1, "last_failed_at": func.now()},
            where=_account.c.failures < throttle.disable_after,
        )
        .returning(_account.c.failures)
    )
    counted: int | None = (await conn.execute(upsert)).scalar()
    return counted


async def _count_pair(
    conn: AsyncConnection, key: bytes, ip: str, throttle: ThrottlePolicy
) -> tuple[bool, datetime | None]:
    """Whether the pair counted the attempt (False: it is delayed), and the delay it started."""
    failures = _pair.c.failures + 1
    first_delay = min(throttle.lock_for, throttle.delay) if throttle.lock_after <= 1 else None
    upsert = (
        insert(_pair)
        .values(
            account_key=key,
            ip=ip,
            failures=1,
            locked_until=func.now() + first_delay if first_delay is not None else None,
        )
        .on_conflict_do_update(
            index_elements=[_pair.c.account_key, _pair.c.ip],
            set_={
                "failures": failures,
                "locked_until": case(
                    (failures >= throttle.lock_after, func.now() + _delay(throttle, failures)),
                    else_=None,
                ),
                "last_failed_at": func.now(),
            },
            where=or_(_pair.c.locked_until.is_(None), _pair.c.locked_until <= func.now()),
        )
        .returning(_pair.c.locked_until)
    )
    counted = (await conn.execute(upsert)).first()
    if counted is None:
        return False, None
    return True, counted.locked_until


async def clear_attempts(conn: AsyncConnection, key: bytes, ip: str | None = None) -> int:
    """Forgets the account's count and the pair with `ip` (every pair when None); the
    consecutive failures the account had."""
    cleared = (
        await conn.execute(
            _account.delete().where(_account.c.account_key == key).returning(_account.c.failures)
        )
    ).scalar()
    pairs = _pair.delete().where(_pair.c.account_key == key)
    if ip is not None:
        pairs = pairs.where(_pair.c.ip == ip)
    await conn.execute(pairs)
    return int(cleared or 0)
