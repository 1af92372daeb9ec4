"""The org service's composition root."""

from authmesh_kit.db.engine import create_engine
from authmesh_kit.events.outbox import OutboxRelay
from authmesh_kit.runtime import ServiceRuntime
from authmesh_org.api.servicer import OrgServicer, registration
from authmesh_org.settings import OrgSettings
from authmesh_org.store.tables import SCHEMA, outbox


async def serve() -> None:
    settings = OrgSettings()  # fields come from the environment
    runtime = ServiceRuntime("org", settings)
    engine = create_engine(
        settings.database_url, SCHEMA, settings.database_pool_size, settings.database_max_overflow
    )
    runtime.spawn(OutboxRelay(engine, outbox, runtime.nats).run(), "outbox-relay")
    try:
        await runtime.serve([registration(OrgServicer())])
    finally:
        await engine.dispose()
