"""Runs a whole stack the same way for `make up` and for tests: one process per service.

Start: bootstrap, `python -m authmesh_<svc> migrate` for every database service (in parallel:
each touches only its own schema), the mail catcher if the plan has one (until its SMTP port
accepts connections), then every gRPC process until it reports SERVING on the
standard health check, then the gateway until `GET /api/auth/ok` answers 200. A process that
exits before it is ready fails the start with the end of its log. Stop: SIGTERM, then SIGKILL
after a grace period, gateway first so that no request reaches a service that is going away.
"""

import asyncio
import contextlib
import os
import signal
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from authmesh_kit.bootstrap import bootstrap
from authmesh_kit.net import tcp_port_open
from authmesh_kit.settings import DATABASE_SERVICES, SERVICE_NAMES
from authmesh_kit.stack.backing import Backing
from authmesh_kit.stack.nats_server import NatsServer
from authmesh_kit.stack.plan import GATEWAY, HOST, MAIL_CATCHER, Plan, StackSpec

READY_PATH = "/api/auth/ok"
_TAIL_LINES = 40


class StackError(Exception):
    """The stack could not start, or was asked for something it does not have."""


class ManagedProcess:
    """One child process; its output goes to `log_file`, or to the terminal prefixed by name."""

    def __init__(
        self, name: str, argv: Sequence[str], env: Mapping[str, str], log_file: Path | None
    ) -> None:
        self.name = name
        self._argv = list(argv)
        self._env = dict(env)
        self._log_file = log_file
        self._recent: deque[str] = deque(maxlen=_TAIL_LINES)
        self._process: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task[None] | None = None

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.returncode

    async def start(self) -> None:
        self._recent.clear()
        log = None if self._log_file is None else self._log_file.open("ab")
        try:
            self._process = await asyncio.create_subprocess_exec(
                *self._argv,
                env=self._env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE if log is None else log,
                stderr=asyncio.subprocess.STDOUT,
                # Its own process group: Ctrl-C reaches only us, and we stop children in order.
                start_new_session=True,
            )
        finally:
            if log is not None:
                log.close()  # the child has its own descriptor
        if self._process.stdout is not None:
            self._pump = asyncio.create_task(self._print_lines(self._process.stdout))

    async def _print_lines(self, stream: asyncio.StreamReader) -> None:
        # Reads in chunks rather than readline(), which fails on lines over 64 KiB.
        pending = b""
        while chunk := await stream.read(65536):
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                self._emit(line)
        if pending:
            self._emit(pending)
        assert self._process is not None
        self._emit(f"exited with code {await self._process.wait()}".encode())

    def _emit(self, raw: bytes) -> None:
        line = raw.decode(errors="replace").rstrip("\r")
        self._recent.append(line)
        print(f"{self.name:>16} | {line}", flush=True)

    def tail(self) -> str:
        if self._log_file is None:
            return "\n".join(self._recent)
        if not self._log_file.exists():
            return ""
        return "\n".join(self._log_file.read_text(errors="replace").splitlines()[-_TAIL_LINES:])

    async def wait(self) -> int:
        assert self._process is not None
        code = await self._process.wait()
        if self._pump is not None:
            # asyncio.wait, unlike await, leaves the pump running if this wait is cancelled.
            await asyncio.wait({self._pump})
        return code

    async def stop(self, grace_s: float = 10.0) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            return
        self._signal(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(self.wait(), grace_s)
        except TimeoutError:
            self._signal(process.pid, signal.SIGKILL)
            await self.wait()

    @staticmethod
    def _signal(pid: int, signum: signal.Signals) -> None:
        # The whole group: a server that forks workers must not leave them behind.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signum)


async def grpc_serving(addr: str) -> bool:
    """The standard gRPC health check of the whole server; it needs no service token."""
    async with grpc.aio.insecure_channel(addr) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
        except grpc.aio.AioRpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


async def http_ok(port: int, path: str) -> bool:
    """GET over a bare connection: the kit does not depend on an HTTP client."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 1.0)
    except (OSError, TimeoutError):
        return False
    try:
        request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n"
        writer.write(request.encode())
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 2.0)
    except (OSError, TimeoutError):
        return False
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return status_line.split()[1:2] == [b"200"]


class Stack:
    """A running platform: its backing services, its plan and one process per service.

    Usable as `async with Stack(...) as stack:`; tests stop and restart single processes and
    NATS through it. `log_dir` None sends every process's output to the terminal.
    """

    def __init__(
        self,
        plan: Plan,
        backing: Backing,
        *,
        log_dir: Path | None,
        services: Sequence[str] = SERVICE_NAMES,
        ready_timeout_s: float = 60.0,
    ) -> None:
        unknown = set(services) - set(SERVICE_NAMES)
        if unknown:
            raise StackError(f"unknown services: {sorted(unknown)}")
        self.plan = plan
        self.backing = backing
        self.log_dir = log_dir
        self._services = [name for name in SERVICE_NAMES if name in services]
        self._ready_timeout_s = ready_timeout_s
        self._processes: dict[str, ManagedProcess] = {}
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)

    @property
    def namespace(self) -> str:
        return self.plan.namespace

    @property
    def gateway_url(self) -> str:
        return self.plan.base_url

    @property
    def admin_database_url(self) -> str:
        return self.backing.database_url

    @property
    def nats_url(self) -> str:
        return self.backing.nats_url

    def addr(self, service: str) -> str:
        return self.plan.addr(service)

    def database_url(self, service: str) -> str:
        return self.plan.service_database_url(service)

    @classmethod
    def create(
        cls,
        spec: StackSpec,
        backing: Backing,
        *,
        log_dir: Path | None,
        parent_env: Mapping[str, str] = os.environ,
        services: Sequence[str] = SERVICE_NAMES,
    ) -> "Stack":
        plan = Plan.create(
            spec,
            namespace=backing.namespace,
            database_url=backing.database_url,
            redis_url=backing.redis_url,
            nats_urls=backing.nats_urls(),
            parent_env=parent_env,
        )
        return cls(plan, backing, log_dir=log_dir, services=services)

    async def __aenter__(self) -> "Stack":
        await self.start()
        return self

    async def __aexit__(
        self, _: type[BaseException] | None, __: BaseException | None, ___: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        try:
            await bootstrap(
                self.backing.database_url,
                self.namespace,
                self.plan.database_passwords,
                self.backing.nats_url,
            )
            await _all_ready(
                self._migrate(name) for name in self._services if name in DATABASE_SERVICES
            )
            await self._start_mail_catcher()
            await _all_ready(self.start_service(name) for name in self._services if name != GATEWAY)
            if GATEWAY in self._services:
                await self.start_service(GATEWAY)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        gateway = self._processes.get(GATEWAY)
        if gateway is not None:
            await gateway.stop()
        await asyncio.gather(*(process.stop() for process in self._processes.values()))

    async def stop_service(self, name: str) -> None:
        process = self._processes.get(name)
        if process is None:
            raise StackError(f"{name} is not running in this stack")
        await process.stop()

    async def start_service(self, name: str) -> None:
        """Starts (or restarts, on the same port) one service and waits until it is ready."""
        if name not in self._services:
            raise StackError(f"{name} is not part of this stack")
        current = self._processes.get(name)
        if current is not None and current.returncode is None:
            raise StackError(f"{name} is already running")
        process = self._process(name, "serve")
        self._processes[name] = process
        await process.start()
        try:
            if name == GATEWAY:
                await self._wait_ready(process, lambda: http_ok(self.plan.gateway_port, READY_PATH))
            else:
                await self._wait_ready(process, lambda: grpc_serving(self.plan.addr(name)))
        except BaseException:
            await process.stop()
            raise

    async def _start_mail_catcher(self) -> None:
        argv = self.plan.mail_catcher_argv()
        port = self.plan.mail_catcher_smtp_port
        if argv is None or port is None:
            return
        log_file = None if self.log_dir is None else self.log_dir / f"{MAIL_CATCHER}.log"
        process = ManagedProcess(
            MAIL_CATCHER, [sys.executable, *argv], self.plan.base_env(), log_file
        )
        self._processes[MAIL_CATCHER] = process
        await process.start()
        await self._wait_ready(process, lambda: tcp_port_open(HOST, port))

    async def stop_nats(self) -> None:
        await self._own_nats().stop()

    async def start_nats(self) -> None:
        await self._own_nats().start()

    def _own_nats(self) -> NatsServer:
        if self.backing.nats_server is None:
            raise StackError("NATS is external to this stack; it cannot be stopped from here")
        return self.backing.nats_server

    def _process(self, name: str, command: str) -> ManagedProcess:
        label = name if command == "serve" else f"{name}-{command}"
        log_file = None if self.log_dir is None else self.log_dir / f"{label}.log"
        argv = [sys.executable, "-m", f"authmesh_{name}", command]
        return ManagedProcess(label, argv, self.plan.env(name), log_file)

    async def _migrate(self, name: str) -> None:
        process = self._process(name, "migrate")
        await process.start()
        try:
            code = await asyncio.wait_for(process.wait(), self._ready_timeout_s)
        except TimeoutError:
            raise StackError(f"{process.name} did not finish:\n{process.tail()}") from None
        finally:
            await process.stop()  # only does something if it was cancelled or timed out
        if code != 0:
            raise StackError(f"{process.name} failed with exit code {code}:\n{process.tail()}")

    async def _wait_ready(
        self, process: ManagedProcess, probe: Callable[[], Awaitable[bool]]
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._ready_timeout_s
        while not await probe():
            if process.returncode is not None:
                code = await process.wait()  # and its last lines, still in the pipe
                raise StackError(
                    f"{process.name} exited with code {code} before it was ready:\n{process.tail()}"
                )
            if loop.time() > deadline:
                raise StackError(
                    f"{process.name} not ready in {self._ready_timeout_s:.0f} s:\n{process.tail()}"
                )
            await asyncio.sleep(0.1)


async def _all_ready(jobs: Iterable[Awaitable[None]]) -> None:
    """Runs the jobs together; the first failure cancels the rest and is raised."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    if not tasks:
        return
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in tasks:
        if not task.cancelled() and (error := task.exception()) is not None:
            raise error
