"""The risk service's composition root."""

from authmesh_kit.db.purge import processed_events_rule
from authmesh_kit.runtime import ServiceRuntime
from authmesh_risk.api.servicer import RiskServicer, registration
from authmesh_risk.settings import RiskSettings
from authmesh_risk.store.tables import SCHEMA, outbox, processed_events


async def serve() -> None:
    settings = RiskSettings()  # fields come from the environment
    runtime = ServiceRuntime("risk", settings)
    engine = runtime.database(settings, SCHEMA)
    runtime.relay_outbox(engine, outbox)
    runtime.purge([processed_events_rule(processed_events, settings)], settings)
    await runtime.serve([registration(RiskServicer())])
