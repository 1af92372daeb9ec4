"""The org service's composition root."""

from authmesh_kit.runtime import ServiceRuntime
from authmesh_org.api.servicer import OrgServicer, registration
from authmesh_org.settings import OrgSettings
from authmesh_org.store.tables import SCHEMA, outbox


async def serve() -> None:
    settings = OrgSettings()  # fields come from the environment
    runtime = ServiceRuntime("org", settings)
    engine = runtime.database(settings, SCHEMA)
    runtime.relay_outbox(engine, outbox)
    await runtime.serve([registration(OrgServicer())])
