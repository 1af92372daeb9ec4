"""The mfa service's composition root."""

from authmesh_kit.db.engine import create_engine
from authmesh_kit.events.outbox import OutboxRelay
from authmesh_kit.runtime import ServiceRuntime
from authmesh_mfa.api.servicer import MfaServicer, registration
from authmesh_mfa.settings import MfaSettings
from authmesh_mfa.store.tables import SCHEMA, outbox


async def serve() -> None:
    settings = MfaSettings()  # fields come from the environment
    runtime = ServiceRuntime("mfa", settings)
    engine = create_engine(
        settings.database_url, SCHEMA, settings.database_pool_size, settings.database_max_overflow
    )
    runtime.spawn(OutboxRelay(engine, outbox, runtime.nats).run(), "outbox-relay")
    try:
        await runtime.serve([registration(MfaServicer())])
    finally:
        await engine.dispose()
