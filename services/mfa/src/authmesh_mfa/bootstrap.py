"""The mfa service's composition root."""

from authmesh_kit.db.purge import processed_events_rule
from authmesh_kit.runtime import ServiceRuntime
from authmesh_mfa.api.servicer import MfaServicer, registration
from authmesh_mfa.settings import MfaSettings
from authmesh_mfa.store.tables import SCHEMA, outbox, processed_events


async def serve() -> None:
    settings = MfaSettings()  # fields come from the environment
    runtime = ServiceRuntime("mfa", settings)
    engine = runtime.database(settings, SCHEMA)
    runtime.relay_outbox(engine, outbox)
    runtime.purge([processed_events_rule(processed_events, settings)], settings)
    await runtime.serve([registration(MfaServicer())])
