"""The risk service's composition root."""

from authmesh.risk.v1 import risk_pb2_grpc
from authmesh_kit.db.engine import create_engine
from authmesh_kit.events.outbox import OutboxRelay
from authmesh_kit.runtime import ServiceRuntime
from authmesh_risk.api.servicer import registration
from authmesh_risk.settings import RiskSettings
from authmesh_risk.store.tables import SCHEMA, outbox


async def serve() -> None:
    settings = RiskSettings()  # fields come from the environment
    runtime = ServiceRuntime("risk", settings)
    engine = create_engine(
        settings.database_url, SCHEMA, settings.database_pool_size, settings.database_max_overflow
    )
    runtime.spawn(OutboxRelay(engine, outbox, runtime.nats).run(), "outbox-relay")
    # The RPCs come with later issues; until then the generated base answers UNIMPLEMENTED.
    servicer = risk_pb2_grpc.RiskServiceServicer()
    try:
        await runtime.serve([registration(servicer)])
    finally:
        await engine.dispose()
