"""What every service process is made of, composed once: logs, traces, metrics, service
credentials, the NATS link, background tasks, the gRPC server and a graceful stop on SIGTERM."""

import asyncio
import contextlib
import signal
from collections.abc import Coroutine
from typing import Any

import structlog
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from authmesh_kit.db.engine import create_engine, create_unpooled_engine
from authmesh_kit.db.purge import Purger, PurgeRule, purge_schema
from authmesh_kit.events.nats_link import NatsLink
from authmesh_kit.events.outbox import OutboxRelay
from authmesh_kit.grpc.client import ServiceChannel
from authmesh_kit.grpc.server import GrpcServer, Registration
from authmesh_kit.grpc.service_auth import (
    ServiceTokenIssuer,
    ServiceTokenVerifier,
    parse_public_keys,
)
from authmesh_kit.observability.logging import setup_logging
from authmesh_kit.observability.metrics import start_metrics_endpoint
from authmesh_kit.observability.tracing import setup_tracing
from authmesh_kit.settings import DatabaseServiceSettings, ServiceSettings

log = structlog.get_logger(__name__)

_DRAIN_GRACE_S = 10.0


class ServiceRuntime:
    def __init__(self, service: str, settings: ServiceSettings) -> None:
        self.service = service
        self.settings = settings
        setup_logging(service, settings.log_level)
        setup_tracing(service, settings.trace_sample_ratio, settings.otlp_endpoint)
        start_metrics_endpoint(settings.metrics_port)
        self.issuer = ServiceTokenIssuer(service, settings.service_key.get_secret_value())
        self.verifier = ServiceTokenVerifier(
            service, parse_public_keys(settings.service_public_keys)
        )
        self.nats = NatsLink(settings.nats_url, service)
        self._channels: list[ServiceChannel] = []
        self._tasks: list[asyncio.Task[Any]] = []
        self._engines: list[AsyncEngine] = []

    def database(self, settings: DatabaseServiceSettings, schema: str) -> AsyncEngine:
        """The service's engine on its own schema, disposed when the process stops."""
        engine = create_engine(
            settings.database_url,
            schema,
            settings.database_pool_size,
            settings.database_max_overflow,
        )
        self._engines.append(engine)
        return engine

    def relay_outbox(self, engine: AsyncEngine, table: Table) -> None:
        """Publishes the service's outbox for as long as the process runs."""
        self.spawn(OutboxRelay(engine, table, self.nats).run(), "outbox-relay")

    def purge(self, rules: list[PurgeRule], settings: DatabaseServiceSettings) -> None:
        """Deletes the rows `rules` say are dead every `purge_interval_s`, one replica at a
        time, for as long as the process runs; on connections of its own, closed after each
        run."""
        engine = create_unpooled_engine(settings.database_url, purge_schema(rules))
        self._engines.append(engine)
        purger = Purger(engine, rules, batch_size=settings.purge_batch_size)
        self.spawn(purger.run(settings.purge_interval_s), "purge")

    def channel(self, callee: str, addr: str, timeout_s: float = 1.0) -> ServiceChannel:
        channel = ServiceChannel(callee, addr, self.issuer, timeout_s)
        self._channels.append(channel)
        return channel

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Runs `work` until the process stops; a crash is logged, never silent."""
        task = asyncio.create_task(work, name=name)
        task.add_done_callback(self._report_crash)
        self._tasks.append(task)

    @staticmethod
    def _report_crash(task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("background task crashed", task=task.get_name(), error=repr(task.exception()))

    async def serve(self, registrations: list[Registration]) -> None:
        """Starts the gRPC server and blocks until SIGTERM or SIGINT, then drains."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        self.nats.start()
        server = GrpcServer(self.settings.grpc_listen, registrations, self.verifier)
        await server.start()
        log.info("serving", listen=self.settings.grpc_listen)
        await stop.wait()
        log.info("stopping")
        await server.stop(_DRAIN_GRACE_S)
        await self.close()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for channel in self._channels:
            await channel.close()
        await self.nats.close()
        for engine in self._engines:
            await engine.dispose()
