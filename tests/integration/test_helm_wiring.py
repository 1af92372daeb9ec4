"""The Helm chart's wiring, run: every process started with exactly the environment the chart's
objects give it, and a user signed up and in through the gateway.

The chart is rendered (helm-python-sdk) for this test's Postgres database, a nats-server
configured with the users of the chart's `nats-users` ConfigMap, the shared Redis and the
session's SMTP sink, with secrets made by scripts/helm_secrets.py. Each container's environment
is resolved as the kubelet would (ConfigMap envFrom, then `env` in order with Secret refs and
`$(VAR)` expansion); the only changes are addresses, since every pod here shares one host:
each cluster address and listening port becomes 127.0.0.1 and a free port. Then, as Helm
would: the bootstrap Job, the migrate Jobs, every Deployment's command.
"""

import asyncio
import os
import re
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
import redis.asyncio
import yaml

from authmesh_kit.settings import DATABASE_SERVICES, SERVICE_NAMES
from authmesh_kit.stack.backing import (
    DEFAULT_TEST_DATABASE_URL,
    DEFAULT_TEST_REDIS_URL,
    fresh_database,
)
from authmesh_kit.stack.nats_server import nats_server_binary, wait_for_port
from authmesh_kit.stack.plan import free_ports
from authmesh_kit.stack.supervisor import ManagedProcess, grpc_serving, http_ok
from authmesh_kit.testing.pytest_plugin import SmtpSink
from tests.helm_chart import Manifest, find, render, scenario
from tests.waiting import eventually

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RELEASE = "authmesh"
K8S_NAMESPACE = "auth"
TRUSTED_ORIGIN = "http://localhost:3000"
PASSWORD = "correct horse battery"
READY_TIMEOUT_S = 120.0  # generous: the test may share two cores with other suites
_REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def container_env(manifests: list[Manifest], workload: Manifest) -> dict[str, str]:
    """A container's environment as the kubelet builds it from the rendered objects."""
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env |= find(manifests, "ConfigMap", source["configMapRef"]["name"])["data"]
    for item in container.get("env", []):
        if "value" in item:
            # $(NAME) of a variable defined before it is expanded; anything else stays as is.
            env[item["name"]] = _REFERENCE.sub(
                lambda m: env.get(m.group(1), m.group(0)), item["value"]
            )
            continue
        ref = item["valueFrom"]["secretKeyRef"]
        data = find(manifests, "Secret", ref["name"])["stringData"]
        if ref["key"] in data:
            env[item["name"]] = data[ref["key"]]
        else:
            assert ref.get("optional"), f"{ref['name']} has no key {ref['key']}"
    return env


def command(workload: Manifest) -> list[str]:
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    argv = [*container.get("command", []), *container.get("args", [])]
    assert argv[0] == "python"
    return [sys.executable, *argv[1:]]


def container_port(deployment: Manifest, name: str) -> int:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return next(int(p["containerPort"]) for p in container["ports"] if p["name"] == name)


@dataclass(frozen=True)
class Addresses:
    """Cluster addresses and container ports → loopback ports of this host."""

    grpc: dict[str, int]  # service → its gRPC port here
    metrics: dict[str, int]
    gateway: int

    def localize(
        self, name: str, env: Mapping[str, str], manifests: list[Manifest]
    ) -> dict[str, str]:
        local = dict(env)
        for service, port in self.grpc.items():
            deployment = find(manifests, "Deployment", f"{RELEASE}-{service}")
            svc = find(manifests, "Service", f"{RELEASE}-{service}")
            service_port = next(p["port"] for p in svc["spec"]["ports"] if p["name"] == "grpc")
            cluster = f"{RELEASE}-{service}.{K8S_NAMESPACE}.svc:{service_port}"
            for key, value in local.items():
                local[key] = value.replace(cluster, f"127.0.0.1:{port}")
            if service == name:
                listen = f"0.0.0.0:{container_port(deployment, 'grpc')}"
                assert local["AUTHMESH_GRPC_LISTEN"] == listen
                local["AUTHMESH_GRPC_LISTEN"] = f"127.0.0.1:{port}"
        local["AUTHMESH_METRICS_PORT"] = str(self.metrics[name])
        if name == "gateway":
            deployment = find(manifests, "Deployment", f"{RELEASE}-gateway")
            assert local["AUTHMESH_GATEWAY_PORT"] == str(container_port(deployment, "http"))
            assert local["AUTHMESH_GATEWAY_HOST"] == "0.0.0.0"
            local |= {
                "AUTHMESH_GATEWAY_HOST": "127.0.0.1",
                "AUTHMESH_GATEWAY_PORT": str(self.gateway),
            }
        return local


def base_env() -> dict[str, str]:
    """This process's environment without any AUTHMESH_ variable (as Plan.base_env)."""
    return {key: value for key, value in os.environ.items() if not key.startswith("AUTHMESH_")}


def secret_values(database_url: str) -> dict[str, Any]:
    printed = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "helm_secrets.py"),
            "--database-admin-url",
            database_url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    values = yaml.safe_load(printed)
    assert isinstance(values, dict)
    return values


async def run_job(manifests: list[Manifest], name: str, log_dir: Path) -> None:
    job = find(manifests, "Job", f"{RELEASE}-{name}")
    env = base_env() | container_env(manifests, job)
    with (log_dir / f"{name}.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *command(job), env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            # The Job's own deadline: a cluster would give it as long.
            code = await asyncio.wait_for(process.wait(), job["spec"]["activeDeadlineSeconds"])
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
    assert code == 0, (log_dir / f"{name}.log").read_text()[-3000:]


async def _until(probe: Callable[[], Awaitable[bool]], process: ManagedProcess) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_TIMEOUT_S
    while not await probe():
        assert process.returncode is None, f"{process.name} exited:\n{process.tail()}"
        assert loop.time() < deadline, f"{process.name} not ready:\n{process.tail()}"
        await asyncio.sleep(0.1)


def _read(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:]


def _write_nats_config(directory: Path, port: int, users_conf: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "authmesh-users.conf").write_text(users_conf)
    config = directory / "nats-server.conf"
    config.write_text(
        f'listen: "127.0.0.1:{port}"\n'
        f'jetstream {{ store_dir: "{directory / "jetstream"}" }}\n'
        'include "authmesh-users.conf"\n'
    )
    return config


@asynccontextmanager
async def nats_server(
    directory: Path, users_conf: str, passwords: Mapping[str, str]
) -> AsyncIterator[str]:
    """A nats-server with JetStream whose users are the chart's ConfigMap, included as an
    operator would, with each password in the variable the ConfigMap names."""
    port = free_ports(1)[0]
    config = _write_nats_config(directory, port, users_conf)
    env = base_env() | {
        f"AUTHMESH_NATS_PASSWORD_{user.upper()}": password for user, password in passwords.items()
    }
    with (directory / "nats-server.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            str(nats_server_binary()),
            "-c",
            str(config),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        listening = await wait_for_port(port, READY_TIMEOUT_S)
        # A server that exited (its port taken meanwhile) leaves the port to someone else.
        assert listening and process.returncode is None, _read(directory / "nats-server.log")
        yield f"nats://127.0.0.1:{port}"
    finally:
        process.terminate()
        await process.wait()


async def delete_keys(redis_url: str, namespace: str) -> None:
    client = redis.asyncio.from_url(redis_url)
    try:
        async for key in client.scan_iter(match=f"{namespace}*", count=1000):
            await client.delete(key)
    finally:
        await client.aclose()


@dataclass(frozen=True)
class Installed:
    gateway_url: str
    smtp_sink: SmtpSink


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def installed(
    smtp_sink: SmtpSink, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Installed]:
    admin_url = os.environ.get("AUTHMESH_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    redis_url = os.environ.get("AUTHMESH_TEST_REDIS_URL", DEFAULT_TEST_REDIS_URL)
    work = tmp_path_factory.mktemp("helm-wiring")
    listening = [name for name in SERVICE_NAMES if name != "gateway"]
    ports = iter(free_ports(len(listening) + len(SERVICE_NAMES) + 1))
    addresses = Addresses(
        grpc={name: next(ports) for name in listening},
        metrics={name: next(ports) for name in SERVICE_NAMES},
        gateway=next(ports),
    )
    gateway_url = f"http://localhost:{addresses.gateway}"
    async with AsyncExitStack() as stack:
        database_url = await stack.enter_async_context(fresh_database(admin_url))
        database = urlsplit(database_url)
        namespace = database.path.lstrip("/")  # fresh_database drops the roles named after it
        stack.push_async_callback(delete_keys, redis_url, namespace)
        values = scenario("minimal") | secret_values(database_url)
        values["authmesh"] = {
            "namespace": namespace,
            "baseUrl": gateway_url,
            "trustedOrigins": TRUSTED_ORIGIN,
            "trustedProxies": "127.0.0.1,::1",
            "config": {
                "AUTHMESH_SMTP_HOST": "127.0.0.1",
                "AUTHMESH_SMTP_PORT": str(smtp_sink.port),
                "AUTHMESH_SMTP_SECURITY": "none",
                "AUTHMESH_SMTP_FROM": "Authmesh <no-reply@authmesh.test>",
            },
        }
        values["postgres"] = {
            "host": database.hostname,
            "port": database.port or 5432,
            "database": namespace,
        }
        values["redis"] = {"url": redis_url}
        # The users come from the chart, so the server starts before the services' values are
        # final; its URL is the only value that depends on it.
        users_conf = find(
            render(values, release=RELEASE, namespace=K8S_NAMESPACE),
            "ConfigMap",
            f"{RELEASE}-nats-users",
        )["data"]["authmesh-users.conf"]
        nats_url = await stack.enter_async_context(
            nats_server(work / "nats", users_conf, values["secrets"]["natsPasswords"])
        )
        values["nats"] = {"url": nats_url}
        manifests = render(values, release=RELEASE, namespace=K8S_NAMESPACE)

        await run_job(manifests, "bootstrap", work)
        await asyncio.gather(
            *(run_job(manifests, f"migrate-{name}", work) for name in DATABASE_SERVICES)
        )
        processes: dict[str, ManagedProcess] = {}

        async def stop_all() -> None:
            if "gateway" in processes:
                await processes["gateway"].stop()
            await asyncio.gather(*(process.stop() for process in processes.values()))

        stack.push_async_callback(stop_all)

        async def start(name: str) -> None:
            deployment = find(manifests, "Deployment", f"{RELEASE}-{name}")
            env = base_env() | addresses.localize(
                name, container_env(manifests, deployment), manifests
            )
            process = ManagedProcess(name, command(deployment), env, work / f"{name}.log")
            processes[name] = process
            await process.start()
            if name == "gateway":
                await _until(lambda: http_ok(addresses.gateway, "/api/auth/ok"), process)
            else:
                await _until(lambda: grpc_serving(f"127.0.0.1:{addresses.grpc[name]}"), process)

        await asyncio.gather(*(start(name) for name in listening))
        await start("gateway")
        yield Installed(gateway_url, smtp_sink)


async def test_a_user_signs_up_and_in_through_the_charts_wiring(installed: Installed) -> None:
    email = f"helm-{secrets.token_hex(6)}@example.test"
    headers = {"Origin": TRUSTED_ORIGIN, "X-Forwarded-For": "10.8.0.1"}
    async with httpx.AsyncClient(
        base_url=installed.gateway_url, headers=headers, timeout=10
    ) as client:
        signed_up = await client.post(
            "/api/auth/sign-up/email", json={"name": "Ada", "email": email, "password": PASSWORD}
        )
        assert signed_up.status_code == 200, signed_up.text
        assert signed_up.json()["user"]["email"] == email
        # identity's outbox → NATS as identity's user → notify as its user → SMTP.
        mails = await eventually(
            lambda: _mails(installed.smtp_sink, email), lambda found: len(found) > 0
        )
        body = mails[0].get_body(preferencelist=("plain",))
        assert body is not None and "verify-email" in body.get_content()

        client.cookies.clear()
        signed_in = await client.post(
            "/api/auth/sign-in/email", json={"email": email, "password": PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.text
        session = await client.get("/api/auth/get-session")
        assert session.status_code == 200
        assert session.json()["user"]["email"] == email
        assert session.json()["session"]["userId"] == signed_up.json()["user"]["id"]

        wrong = await client.post(
            "/api/auth/sign-in/email", json={"email": email, "password": "not the password"}
        )
        assert wrong.status_code == 401


async def _mails(sink: SmtpSink, to: str) -> list[EmailMessage]:
    return sink.messages(to)
