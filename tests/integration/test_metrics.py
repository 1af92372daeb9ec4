"""The metrics the alerts of docs/metrics.md are built on move on each process's /metrics port:
the gateway's HTTP responses, the services' gRPC calls, the audit log's events by type and the
backing services' reachability."""

import uuid
from collections.abc import Awaitable

import grpc
import httpx
import pytest

from authmesh.identity.v1 import identity_pb2, identity_pb2_grpc
from authmesh_kit.stack.supervisor import Stack
from tests.conftest import unique_email
from tests.waiting import eventually

IDENTITY = "authmesh.identity.v1.IdentityService"
SIGN_IN_FAILED = "auth.identity.sign_in.failed.v1"


async def metric(stack: Stack, process: str, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`, 0 when there is none."""
    port = stack.plan.metrics_ports[process]
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    wanted = [f'{key}="{value}"' for key, value in labels.items()]
    total = 0.0
    for line in text.splitlines():
        series, _, value = line.rpartition(" ")
        if series.split("{", 1)[0] == name and all(label in series for label in wanted):
            total += float(value)
    return total


async def test_gateway_counts_responses_by_status_class(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    name = "authmesh_gateway_http_requests_total"
    before_ok = await metric(stack, "gateway", name, status_class="2xx")
    before_missing = await metric(stack, "gateway", name, status_class="4xx")
    assert (await client.get("/api/auth/get-session")).status_code == 200
    assert (await client.get("/api/auth/no-such-route")).status_code == 404
    assert (await client.get("/api/auth/no-such-route")).status_code == 404
    assert await metric(stack, "gateway", name, status_class="2xx") >= before_ok + 1
    assert await metric(stack, "gateway", name, status_class="4xx") >= before_missing + 2


async def test_services_count_calls_by_method_and_code(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    name = "authmesh_grpc_requests_total"
    sign_up = {"grpc_service": IDENTITY, "grpc_method": "SignUpWithEmail", "grpc_code": "OK"}
    before = await metric(stack, "identity", name, **sign_up)
    email = unique_email()
    signed_up = await client.post(
        "/api/auth/sign-up/email",
        json={"name": "Ada", "email": email, "password": uuid.uuid4().hex},
    )
    assert signed_up.status_code == 200, signed_up.text
    assert await metric(stack, "identity", name, **sign_up) == before + 1
    seconds = "authmesh_grpc_request_duration_seconds_count"
    assert await metric(stack, "identity", seconds, grpc_method="SignUpWithEmail") >= 1

    # A call without a service token is refused before any servicer runs, and still counted.
    refused = {"grpc_method": "VerifyPassword", "grpc_code": "UNAUTHENTICATED"}
    before = await metric(stack, "identity", name, **refused)
    async with grpc.aio.insecure_channel(stack.addr("identity")) as channel:
        stub = identity_pb2_grpc.IdentityServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await stub.VerifyPassword(identity_pb2.VerifyPasswordRequest(email=email))
    assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert await metric(stack, "identity", name, **refused) == before + 1


async def test_audit_counts_failed_sign_ins_by_type(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    name = "authmesh_audit_events_recorded_total"
    before = await metric(stack, "audit", name, type=SIGN_IN_FAILED)
    for _ in range(2):
        failed = await client.post(
            "/api/auth/sign-in/email", json={"email": unique_email(), "password": "x" * 12}
        )
        assert failed.status_code == 401, failed.text
    counted = await eventually(
        lambda: metric(stack, "audit", name, type=SIGN_IN_FAILED), lambda n: n >= before + 2
    )
    assert counted == before + 2


async def test_risk_counts_its_decisions(stack: Stack, client: httpx.AsyncClient) -> None:
    name = "authmesh_risk_decisions_total"
    port = stack.plan.metrics_ports["risk"]
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    for decision in ("allow", "challenge", "deny"):  # every series is there before any sign-in
        assert f'{name}{{decision="{decision}"}}' in text
    before = await metric(stack, "risk", name)
    signed_up = await client.post(
        "/api/auth/sign-up/email",
        json={"name": "Ada", "email": unique_email(), "password": uuid.uuid4().hex},
    )
    assert signed_up.status_code == 200, signed_up.text
    assert await metric(stack, "risk", name) == before + 1  # the sign-up's session, assessed


@pytest.mark.parametrize(
    ("process", "backend"),
    [
        ("identity", "nats"),
        ("identity", "postgres"),
        ("audit", "postgres"),
        ("gateway", "nats"),
        ("gateway", "redis"),
    ],
)
async def test_backing_services_show_as_up(
    stack: Stack, client: httpx.AsyncClient, process: str, backend: str
) -> None:
    await client.get("/api/auth/get-session")  # the gateway learns of Redis with a request
    # An event for audit to chain: its transactions are what report its Postgres.
    await client.post(
        "/api/auth/sign-in/email", json={"email": unique_email(), "password": "x" * 12}
    )
    up = await eventually(
        lambda: metric(stack, process, "authmesh_backend_up", backend=backend), lambda v: v == 1
    )
    assert up == 1


async def test_nats_shows_as_down_while_it_is_stopped(stack: Stack) -> None:
    def nats_up() -> Awaitable[float]:
        return metric(stack, "identity", "authmesh_backend_up", backend="nats")

    await stack.stop_nats()
    try:
        assert await eventually(nats_up, lambda v: v == 0) == 0
    finally:
        await stack.start_nats()
    assert await eventually(nats_up, lambda v: v == 1, 30) == 1
