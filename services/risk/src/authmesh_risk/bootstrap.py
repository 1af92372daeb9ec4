"""The risk service's composition root."""

from authmesh_kit.runtime import ServiceRuntime
from authmesh_risk.api.servicer import RiskServicer, registration
from authmesh_risk.settings import RiskSettings
from authmesh_risk.store.tables import SCHEMA, outbox


async def serve() -> None:
    settings = RiskSettings()  # fields come from the environment
    runtime = ServiceRuntime("risk", settings)
    engine = runtime.database(settings, SCHEMA)
    runtime.relay_outbox(engine, outbox)
    await runtime.serve([registration(RiskServicer())])
