"""A passkey registered and used in a real browser: Debian's headless Chromium, driven by
Playwright (`executable_path`, no browser download), with Chromium's virtual authenticator
(the CDP WebAuthn domain, FEASIBILITY row 8) on the page the gateway serves in test mode
(routes/test_passkey_page.py).

The browser builds clientDataJSON and the authenticator data itself, so this checks what a
software authenticator cannot: that the options the gateway writes are ones Chromium accepts,
and that what Chromium answers verifies. `.ci/run` installs chromium; under CI=true its absence
fails the test instead of skipping it.
"""

import os
import shutil
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, CDPSession, Page, async_playwright

from authmesh_kit.stack.supervisor import Stack
from tests.conftest import next_client_ip, unique_email

PAGE = "/__test/passkey-page"
PASSWORD = "correct horse battery"
# Headless in a container: no GPU, and /dev/shm may be small.
CHROMIUM_ARGS = ["--disable-gpu", "--disable-dev-shm-usage"]


def chromium() -> str:
    path = shutil.which("chromium")
    if path is not None:
        return path
    if os.environ.get("CI") == "true":
        pytest.fail("Debian's chromium is missing: .ci/run installs it (apt-get install chromium)")
    pytest.skip("needs Debian's chromium (apt-get install chromium)")


@pytest_asyncio.fixture(loop_scope="session")
async def chromium_browser() -> AsyncIterator[Browser]:
    executable = chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def virtual_authenticator(page: Page) -> tuple[CDPSession, str]:
    """A platform authenticator that keeps discoverable credentials and verifies the user,
    answering without a prompt."""
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable")
    added = await cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, str(added["authenticatorId"])


async def call(page: Page, script: str, *args: Any) -> dict[str, Any]:
    """`window.authmesh.<script>` on the page: `{status, body}`."""
    answer: dict[str, Any] = await page.evaluate(f"(args) => authmesh.{script}(...args)", args)
    return answer


async def test_register_a_passkey_and_sign_in_with_it_in_chromium(
    stack: Stack, chromium_browser: Browser
) -> None:
    context = await chromium_browser.new_context(
        extra_http_headers={"X-Forwarded-For": next_client_ip()}
    )
    try:
        page = await context.new_page()
        cdp, authenticator_id = await virtual_authenticator(page)
        await page.goto(f"{stack.gateway_url}{PAGE}")

        signed_up = await call(page, "signUp", unique_email(), PASSWORD)
        assert signed_up["status"] == 200, signed_up
        user_id = signed_up["body"]["user"]["id"]
        registered = await call(page, "registerPasskey", "Chromium")
        assert registered["status"] == 200, registered
        passkey = registered["body"]
        assert (passkey["name"], passkey["userId"]) == ("Chromium", user_id)
        [credential] = (
            await cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
        )["credentials"]
        assert credential["isResidentCredential"] is True
        assert credential["rpId"] == "localhost"

        assert (await call(page, "signOut"))["status"] == 200
        assert (await call(page, "session"))["body"] is None

        # Discoverable: no email typed, the authenticator offers its credential.
        signed_in = await call(page, "signInWithPasskey")
        assert signed_in["status"] == 200, signed_in
        assert signed_in["body"]["user"]["id"] == user_id
        assert (await call(page, "session"))["body"]["user"]["id"] == user_id
        [listed] = (await call(page, "listPasskeys"))["body"]
        assert listed["id"] == passkey["id"]
        assert listed["counter"] >= 1  # Chromium's authenticator counts its signatures
    finally:
        await context.close()
