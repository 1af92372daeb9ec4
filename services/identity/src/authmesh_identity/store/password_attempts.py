"""The password-attempt counter of an account key (domain/password_throttle.py), on Postgres.

Counting is one `INSERT … ON CONFLICT DO UPDATE … RETURNING`: the conflicting row is locked and
re-read by each concurrent upsert in turn, so N concurrent attempts add exactly N, and the one
that reaches the threshold sets the lock that the following ones see. The update's WHERE makes a
locked or disabled key return no row, which is how an attempt learns it is refused, uncounted.
"""

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from authmesh_identity.domain.passwords import AttemptCount, ThrottlePolicy
from authmesh_identity.store.tables import password_attempts

_attempts = password_attempts


async def count_attempt(
    conn: AsyncConnection, key: bytes, throttle: ThrottlePolicy
) -> AttemptCount:
    failures = _attempts.c.failures + 1
    upsert = (
        insert(_attempts)
        .values(
            account_key=key,
            failures=1,
            locked_until=func.now() + throttle.lock_for if throttle.lock_after <= 1 else None,
        )
        .on_conflict_do_update(
            index_elements=[_attempts.c.account_key],
            set_={
                "failures": failures,
                "locked_until": case(
                    (failures >= throttle.lock_after, func.now() + throttle.lock_for),
                    else_=None,
                ),
                "last_failed_at": func.now(),
            },
            where=and_(
                _attempts.c.failures < throttle.disable_after,
                or_(_attempts.c.locked_until.is_(None), _attempts.c.locked_until <= func.now()),
            ),
        )
        .returning(_attempts.c.failures, _attempts.c.locked_until)
    )
    state = select(_attempts.c.failures, _attempts.c.locked_until).where(
        _attempts.c.account_key == key
    )
    while True:
        counted = (await conn.execute(upsert)).first()
        if counted is not None:
            return AttemptCount(True, counted.failures, counted.locked_until)
        refused = (await conn.execute(state)).first()
        if refused is not None:
            return AttemptCount(False, refused.failures, refused.locked_until)
        # A right password cleared the key between the two statements: count afresh.


async def clear_attempts(conn: AsyncConnection, key: bytes) -> None:
    await conn.execute(_attempts.delete().where(_attempts.c.account_key == key))
