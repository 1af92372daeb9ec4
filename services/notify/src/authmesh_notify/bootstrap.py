"""The notify service's composition root.

Notify serves no RPC of its own; it consumes the NOTIFY work queue (a later issue). Its gRPC
server answers health and reflection only, so it is probed like every other process.
"""

from authmesh_kit.runtime import ServiceRuntime
from authmesh_notify.settings import NotifySettings


async def serve() -> None:
    settings = NotifySettings()  # fields come from the environment
    runtime = ServiceRuntime("notify", settings)
    await runtime.serve([])
