"""The purge's pure parts: what its settings allow and what SQL a rule is."""

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import Column, DateTime, MetaData, Table, Text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import create_async_engine

from authmesh_kit.bootstrap import AUTH_EVENTS_MAX_AGE_S
from authmesh_kit.db.kit_tables import processed_events_table
from authmesh_kit.db.purge import Purger, PurgeRule, older_than, processed_events_rule
from authmesh_kit.settings import DAY_S, DatabaseServiceSettings


@pytest.fixture(autouse=True)
def required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHMESH_SERVICE_KEY", "key")
    monkeypatch.setenv("AUTHMESH_SERVICE_PUBLIC_KEYS", "")


def settings(**fields: int) -> DatabaseServiceSettings:
    return DatabaseServiceSettings.model_validate(
        {"database_url": "postgresql://x@localhost/db", **fields}
    )


def test_processed_event_ids_outlive_the_stream_that_can_redeliver_them() -> None:
    assert settings().processed_events_retention_s >= AUTH_EVENTS_MAX_AGE_S + DAY_S
    with pytest.raises(ValidationError):
        settings(processed_events_retention_s=int(AUTH_EVENTS_MAX_AGE_S))


def test_defaults() -> None:
    defaults = settings()
    assert (defaults.purge_interval_s, defaults.purge_batch_size) == (600, 1000)
    assert defaults.purge_expired_after_s == DAY_S


def test_a_rule_compares_with_the_databases_clock() -> None:
    processed = processed_events_table(MetaData(schema="svc"))
    rule = processed_events_rule(processed, settings())
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
    sql = str(rule.dead.compile(dialect=dialect))
    assert sql == "svc.processed_events.processed_at < now() - %(now_1)s"
    assert rule.dead.compile().params["now_1"] == timedelta(days=35)


def test_a_purger_works_on_one_schema() -> None:
    def table(schema: str) -> Table:
        return Table(
            "t",
            MetaData(schema=schema),
            Column("id", Text, primary_key=True),
            Column("at", DateTime),
        )

    one, other = table("a"), table("b")
    engine = create_async_engine("postgresql+asyncpg://x@localhost/db")
    rules = [PurgeRule(t, older_than(t.c.at, timedelta(days=1))) for t in (one, other)]
    with pytest.raises(ValueError, match="one schema"):
        Purger(engine, rules, batch_size=10)
