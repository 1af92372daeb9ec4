"""The org service's composition root."""

from authmesh_kit.db.purge import processed_events_rule
from authmesh_kit.runtime import ServiceRuntime
from authmesh_org.api.servicer import OrgServicer, registration
from authmesh_org.settings import OrgSettings
from authmesh_org.store.tables import SCHEMA, outbox, processed_events


async def serve() -> None:
    settings = OrgSettings()  # fields come from the environment
    runtime = ServiceRuntime("org", settings)
    engine = runtime.database(settings, SCHEMA)
    runtime.relay_outbox(engine, outbox)
    runtime.purge([processed_events_rule(processed_events, settings)], settings)
    await runtime.serve([registration(OrgServicer())])
