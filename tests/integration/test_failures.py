"""What users see when a service behind the gateway is down."""

import asyncio
import time

import httpx

from authmesh_kit.stack.supervisor import Stack
from tests.conftest import next_client_ip, unique_email


async def test_sign_in_answers_503_within_a_second_while_identity_is_stopped(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    email = unique_email()
    await client.post(
        "/api/auth/sign-up/email", json={"name": "D", "email": email, "password": "pw-12345678"}
    )
    await stack.stop_service("identity")
    try:
        started = time.monotonic()
        response = await client.post(
            "/api/auth/sign-in/email", json={"email": email, "password": "pw-12345678"}
        )
        elapsed = time.monotonic() - started
    finally:
        await stack.start_service("identity")
    assert response.status_code == 503
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"
    assert elapsed < 1.0
    # Once identity is back, the gateway's channel reconnects on its own. Each retry comes
    # from its own IP: they are more sign-ins than the 3-per-10-s limit allows one client.
    for _ in range(50):
        recovered = await client.post(
            "/api/auth/sign-in/email",
            json={"email": email, "password": "pw-12345678"},
            headers={"X-Forwarded-For": next_client_ip()},
        )
        if recovered.status_code != 503:
            break
        await asyncio.sleep(0.1)
    assert recovered.status_code == 200
