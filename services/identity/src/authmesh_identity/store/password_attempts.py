"""The password-attempt counts (domain/password_throttle.py), on Postgres: per account key, and
per account key and client address.

Counting is one statement, run on its own (no BEGIN/COMMIT around it): the pair's
`INSERT … ON CONFLICT DO UPDATE … RETURNING`, and, fed by the row it returned, the account's.
Each upsert locks its conflicting row and re-reads its latest version, so N concurrent attempts
add exactly N, and the one that reaches a threshold sets the delay (or meets the cap) that the
following ones see. An update's WHERE makes a delayed pair return no row, and then the account
is not counted either: the attempt is refused, uncounted. A capped account returns no row; the
pair's count it took then is moot, as only a new password or an admin's unlock lifts the cap,
and both forget every pair. Rows are locked in one order (pair, then account), so concurrent
attempts wait for each other and never deadlock. Clearing after a right password is one
statement too. The statements are built once per throttle policy: building one and its cache
key costs more than running it.
"""

from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    Delete,
    Integer,
    Interval,
    LargeBinary,
    Select,
    Text,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    true,
)
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


_KEY = bindparam("key", type_=LargeBinary)
_IP = bindparam("ip", type_=Text)


@cache
def _count(throttle: ThrottlePolicy) -> Select[Any]:
    """Counts the pair unless it is delayed, then the account unless it is capped: the pair's
    delay (None: not delayed) and the account's failures (None: capped), or no row at all
    when the pair is delayed."""
    failures = _pair.c.failures + 1
    first_delay = min(throttle.lock_for, throttle.delay) if throttle.lock_after <= 1 else None
    pair = (
        insert(_pair)
        .values(
            account_key=_KEY,
            ip=_IP,
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
        .cte("pair")
    )
    account = (
        insert(_account)
        .from_select(
            ["account_key", "failures"], select(_KEY, literal(1, Integer)).select_from(pair)
        )
        .on_conflict_do_update(
            index_elements=[_account.c.account_key],
            set_={"failures": _account.c.failures + 1, "last_failed_at": func.now()},
            where=_account.c.failures < throttle.disable_after,
        )
        .returning(_account.c.failures)
        .cte("account")
    )
    return select(pair.c.locked_until, account.c.failures).select_from(
        pair.outerjoin(account, true())
    )


# The rare answers, read after a refusal.
_ACCOUNT_FAILURES = select(_account.c.failures).where(_account.c.account_key == _KEY)
_PAIR_STATE = select(
    select(_account.c.failures).where(_account.c.account_key == _KEY).scalar_subquery(),
    select(_pair.c.locked_until)
    .where(_pair.c.account_key == _KEY, _pair.c.ip == _IP)
    .scalar_subquery(),
)


async def count_attempt(
    conn: AsyncConnection, key: bytes, ip: str, throttle: ThrottlePolicy
) -> AttemptCount:
    """On a connection without a transaction: the count is its own statement."""
    keys = {"key": key, "ip": ip}
    while True:
        counted = (await conn.execute(_count(throttle), keys)).first()
        if counted is None:  # the pair is delayed: nothing was counted
            failures, locked_until = (await conn.execute(_PAIR_STATE, keys)).one()
            return AttemptCount(False, failures or 0, locked_until)
        if counted.failures is not None:
            return AttemptCount(True, counted.failures, counted.locked_until)
        capped = (await conn.execute(_ACCOUNT_FAILURES, keys)).scalar()
        if capped is not None:
            return AttemptCount(False, capped, None)
        # A reset or an unlock cleared the key and its pairs between the two statements.


def _clear(*, one_pair: bool) -> Select[Any]:
    account = (
        _account.delete()
        .where(_account.c.account_key == _KEY)
        .returning(_account.c.failures)
        .cte("account")
    )
    pairs: Delete = _pair.delete().where(_pair.c.account_key == _KEY)
    if one_pair:
        pairs = pairs.where(_pair.c.ip == _IP)
    cleared = pairs.returning(_pair.c.ip).cte("pairs")
    # Both deletes run whatever the main query reads; it reads the account's count.
    return select(
        select(account.c.failures).scalar_subquery(),
        select(func.count()).select_from(cleared).scalar_subquery(),
    )


_CLEAR_PAIR = _clear(one_pair=True)
_CLEAR_ALL = _clear(one_pair=False)


async def clear_attempts(conn: AsyncConnection, key: bytes, ip: str | None = None) -> int:
    """Forgets the account's count and the pair with `ip` (every pair when None), in one
    statement; the consecutive failures the account had."""
    if ip is None:
        row = (await conn.execute(_CLEAR_ALL, {"key": key})).one()
    else:
        row = (await conn.execute(_CLEAR_PAIR, {"key": key, "ip": ip})).one()
    return int(row[0] or 0)
