"""The risk service's composition root."""

from authmesh_kit.db.engine import create_engine
from authmesh_kit.events.outbox import OutboxRelay
from authmesh_kit.runtime import ServiceRuntime
from authmesh_risk.api.servicer import RiskServicer, registration
from authmesh_risk.settings import RiskSettings
from authmesh_risk.store.tables import SCHEMA, outbox


async def serve() -> None:
    settings = RiskSettings()  # fields come from the environment
    runtime = ServiceRuntime("risk", settings)
    engine = create_engine(
        settings.database_url, SCHEMA, settings.database_pool_size, settings.database_max_overflow
    )
    runtime.spawn(OutboxRelay(engine, outbox, runtime.nats).run(), "outbox-relay")
    try:
        await runtime.serve([registration(RiskServicer())])
    finally:
        await engine.dispose()
