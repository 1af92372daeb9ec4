"""Whether this process reaches its Postgres: `authmesh_backend_up{backend="postgres"}`.

No probe of its own: the work that uses the database reports what it saw. The outbox relay polls
every second and holds a listening connection (identity, session, mfa, org, risk); consumers
report each transaction (audit too); an RPC that failed for want of a connection reports it.
"""

from sqlalchemy.exc import DBAPIError

from authmesh_kit.observability.metrics import BACKEND_UP

POSTGRES_UP = BACKEND_UP.labels("postgres")


def unreachable(exc: BaseException) -> bool:
    """A failure to reach the database (refused, reset, timed out, connection lost), as
    opposed to a statement the database refused. asyncpg's connect errors arrive unwrapped."""
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated) or isinstance(exc.orig, OSError)
    return isinstance(exc, OSError)


def report_failure(exc: BaseException) -> None:
    if unreachable(exc):
        POSTGRES_UP.set(0)
