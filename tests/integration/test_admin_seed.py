"""The operator's admin, seeded from AUTHMESH_ADMIN_EMAIL / AUTHMESH_ADMIN_PASSWORD."""

import httpx

from authmesh_kit.testing.pytest_plugin import ADMIN_EMAIL, ADMIN_PASSWORD


async def test_the_seeded_admin_signs_in_as_a_verified_admin(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/sign-in/email", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200, response.text
    user = response.json()["user"]
    assert user["role"] == "admin"
    assert user["emailVerified"] is True


async def test_the_seeded_email_cannot_be_signed_up_again(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/sign-up/email",
        json={"name": "Mallory", "email": ADMIN_EMAIL, "password": "takeover-attempt"},
    )
    assert response.status_code == 422
