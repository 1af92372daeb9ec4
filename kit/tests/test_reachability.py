"""Which failures say that Postgres is out of reach (and set its gauge to 0)."""

import asyncpg
from prometheus_client import REGISTRY
from sqlalchemy.exc import DBAPIError, IntegrityError

from authmesh_kit.db import reachability


def _wrapped(orig: BaseException, *, invalidated: bool = False) -> DBAPIError:
    return DBAPIError("SELECT 1", None, orig, connection_invalidated=invalidated)


def test_connection_failures_are_unreachable() -> None:
    assert reachability.unreachable(ConnectionRefusedError())  # asyncpg's connect, unwrapped
    assert reachability.unreachable(TimeoutError())
    assert reachability.unreachable(_wrapped(Exception("gone"), invalidated=True))
    assert reachability.unreachable(_wrapped(ConnectionResetError()))


def test_refused_statements_are_not() -> None:
    assert not reachability.unreachable(IntegrityError("INSERT", None, Exception("duplicate")))
    assert not reachability.unreachable(_wrapped(asyncpg.UndefinedTableError("no table")))
    assert not reachability.unreachable(ValueError("bad input"))


def _postgres_up() -> float | None:
    return REGISTRY.get_sample_value("authmesh_backend_up", {"backend": "postgres"})


def test_reporting_a_failure_sets_the_gauge_only_when_unreachable() -> None:
    reachability.POSTGRES_UP.set(1)
    reachability.report_failure(IntegrityError("INSERT", None, Exception("duplicate")))
    assert _postgres_up() == 1
    reachability.report_failure(ConnectionRefusedError())
    assert _postgres_up() == 0
