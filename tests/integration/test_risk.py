"""The risk engine through the gateway (issue 7): every sign-in is scored, and a score can ask
for a second factor or refuse; brute force is slowed per account and address, sprays are
refused per address, and an admin sees a user's history and unlocks.

Addresses: the test stack trusts X-Forwarded-For from loopback, so each client claims its own.
Public addresses of known countries in the bundled database (geoip2fast): 81.2.69.0/24 and
212.58.244.0/24 are in the United Kingdom, 133.242.0.0/16 in Japan, 1.1.1.0/24 in Australia,
177.20.0.0/16 in Brazil. Each test uses its own /24 or addresses, so that rate limits (per IP)
and risk's per-address counters never couple two tests.
"""

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
from argon2 import PasswordHasher

from authmesh_kit.ids import new_id
from authmesh_kit.stack.supervisor import Stack
from authmesh_kit.testing.pytest_plugin import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.conftest import TRUSTED_ORIGIN, browser, forget_rate_limits, unique_email
from tests.mailbox import Mailbox
from tests.waiting import eventually

AUTH = "/api/auth"
PASSWORD = "risk-test-password-1"
WRONG = "not-the-password-1"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0"
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15"
)
# One fresh public address per use: the host byte moves on in each country's range.
_hosts = itertools.count(2)


def uk_ip() -> str:
    return f"81.2.69.{next(_hosts)}"


def japan_ip() -> str:
    return f"133.242.{next(_hosts)}.1"


def brazil_ip() -> str:
    return f"177.20.{next(_hosts)}.1"


@asynccontextmanager
async def client_at(
    stack: Stack, ip: str, user_agent: str = FIREFOX
) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Origin": TRUSTED_ORIGIN, "X-Forwarded-For": ip, "User-Agent": user_agent}
    async with httpx.AsyncClient(base_url=stack.gateway_url, headers=headers) as http:
        yield http


async def sign_up(stack: Stack, email: str) -> str:
    """From a private address (no country) with the Firefox the user keeps using. The sign-up
    is the user's first assessed sign-in."""
    async with browser(stack) as http:
        body = {"name": "Ada", "email": email, "password": PASSWORD}
        headers = {"User-Agent": FIREFOX}
        response = await http.post(f"{AUTH}/sign-up/email", json=body, headers=headers)
        assert response.status_code == 200, response.text
        return str(response.json()["user"]["id"])


async def sign_in(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await http.post(f"{AUTH}/sign-in/email", json={"email": email, "password": password})


@asynccontextmanager
async def admin(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(stack) as http:
        response = await sign_in(http, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert response.status_code == 200, response.text
        yield http


async def history(stack: Stack, user_id: str) -> list[dict[str, Any]]:
    async with admin(stack) as http:
        response = await http.get("/api/admin/risk/history", params={"userId": user_id})
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["assessments"]
        return found


def factor_names(assessment: dict[str, Any]) -> set[str]:
    return {factor["name"] for factor in assessment["factors"]}


SESSION_CREATED = "auth.session.session.created.v1"


async def sessions_created(stack: Stack, user_id: str, count: int) -> list[dict[str, Any]]:
    """The payloads of the user's session.created audit entries, newest first, once there are
    `count` of them."""

    async def listed() -> list[dict[str, Any]]:
        async with admin(stack) as http:
            params = {"userId": user_id, "type": SESSION_CREATED}
            response = await http.get("/api/admin/audit", params=params)
            assert response.status_code == 200, response.text
            return [entry["payload"] for entry in response.json()["entries"]]

    found = await eventually(listed, lambda payloads: len(payloads) >= count)
    assert len(found) == count, found
    return found


# --- location ----------------------------------------------------------------------------------


async def test_sign_ins_from_two_distant_countries_minutes_apart_are_challenged(
    stack: Stack, mail: Mailbox
) -> None:
    email = unique_email()
    user_id = await sign_up(stack, email)
    async with client_at(stack, uk_ip()) as london:
        at_home = await sign_in(london, email)
    assert at_home.status_code == 200, at_home.text
    assert "twoFactorRedirect" not in at_home.json()

    async with client_at(stack, japan_ip()) as tokyo:
        far_away = await sign_in(tokyo, email)
        # A user without a second factor is asked for a code mailed to the address on file.
        assert far_away.status_code == 200, far_away.text
        assert far_away.json() == {"twoFactorRedirect": True, "twoFactorMethods": ["otp"]}
        cookies = far_away.headers.get_list("set-cookie")
        assert any(line.startswith("better-auth.two_factor=2fa-") for line in cookies)
        assert not any(line.startswith("better-auth.session_token=ey") for line in cookies)
        assert all("Max-Age=0" in line for line in cookies if "session_token=" in line)
        assert "set-auth-token" not in far_away.headers
        assert (await tokyo.get(f"{AUTH}/get-session")).json() is None

        sent = await tokyo.post(f"{AUTH}/two-factor/send-otp", json={})
        assert sent.status_code == 200, sent.text
        otp = (await mail.next(email, "two-factor-otp")).fields["otp"]
        verified = await tokyo.post(f"{AUTH}/two-factor/verify-otp", json={"code": otp})
        assert verified.status_code == 200, verified.text
        session = (await tokyo.get(f"{AUTH}/get-session")).json()
        assert session is not None and session["user"]["id"] == user_id

    assessments = await history(stack, user_id)
    challenged = [found for found in assessments if found["decision"] == "challenge"]
    assert len(challenged) == 1
    assert {"new_country", "impossible_travel"} <= factor_names(challenged[0])
    assert challenged[0]["country"] == "JP"
    assert challenged[0]["score"] >= 50
    # The passed factor turned the same signals into an allowed sign-in.
    assert assessments[0]["decision"] == "allow"
    assert "second_factor_satisfied" in factor_names(assessments[0])


async def test_everyday_sign_ins_from_private_addresses_are_allowed(stack: Stack) -> None:
    email = unique_email()
    user_id = await sign_up(stack, email)
    for _ in range(3):
        async with browser(stack) as http:
            response = await sign_in(http, email)
            assert response.status_code == 200, response.text
            assert "twoFactorRedirect" not in response.json()
    assessments = await history(stack, user_id)
    assert len(assessments) == 4  # the sign-up's and three sign-ins
    assert "first_sign_in" in factor_names(assessments[-1])
    assert all(found["decision"] == "allow" for found in assessments)
    assert all("ip_private" in factor_names(found) for found in assessments)


async def test_a_new_device_is_mailed_to_the_user(stack: Stack, mail: Mailbox) -> None:
    email = unique_email()
    await sign_up(stack, email)
    async with client_at(stack, uk_ip(), FIREFOX) as usual:
        assert (await sign_in(usual, email)).status_code == 200
    # Signed up from a private address: the first located sign-in is a new country.
    new_country = await mail.next(email, "new-sign-in")
    assert (new_country.fields["device"], new_country.fields["place"]) == (
        "Firefox on Windows",
        "GB",
    )
    async with client_at(stack, uk_ip(), FIREFOX) as usual:
        assert (await sign_in(usual, email)).status_code == 200
    async with client_at(stack, uk_ip(), SAFARI_MAC) as new_device:
        response = await sign_in(new_device, email)
    assert response.status_code == 200, response.text
    notice = await mail.next(email, "new-sign-in")
    assert (notice.fields["device"], notice.fields["place"]) == ("Safari on macOS", "GB")
    assert notice.fields["ip"].startswith("81.2.69.")
    assert [m.type for m in mail.all_for(email)].count("new-sign-in") == 2  # not the usual one


# --- brute force ------------------------------------------------------------------------------


async def test_failures_from_one_address_delay_that_address_not_the_owner(stack: Stack) -> None:
    email = unique_email()
    await sign_up(stack, email)
    attacker_ip = brazil_ip()
    async with client_at(stack, attacker_ip) as attacker:
        for _ in range(5):  # identity's default: delays from the 5th failure on one address
            await forget_rate_limits(stack, attacker_ip)
            assert (await sign_in(attacker, email, WRONG)).status_code == 401
        await forget_rate_limits(stack, attacker_ip)
        delayed = await sign_in(attacker, email)  # even the right password waits
    assert delayed.status_code == 429
    assert delayed.json()["code"] == "ACCOUNT_TEMPORARILY_LOCKED"
    assert 1 <= int(delayed.headers["x-retry-after"]) <= 30
    assert "set-cookie" not in delayed.headers
    # The owner, from their own address, is not locked out.
    async with client_at(stack, uk_ip()) as owner:
        assert (await sign_in(owner, email)).status_code == 200


async def test_a_password_spray_from_one_address_is_refused_while_victims_sign_in(
    stack: Stack,
) -> None:
    victims = [unique_email() for _ in range(5)]
    for email in victims:
        await sign_up(stack, email)
    attacker_email = unique_email()
    await sign_up(stack, attacker_email)
    spray_ip = brazil_ip()
    async with client_at(stack, spray_ip) as spray:
        # One guess per account, victims and addresses no one has: no per-account delay.
        for email in [*victims, *(unique_email() for _ in range(20))]:
            await forget_rate_limits(stack, spray_ip)
            assert (await sign_in(spray, email, WRONG)).status_code == 401

        async def attempt() -> httpx.Response:
            await forget_rate_limits(stack, spray_ip)
            return await sign_in(spray, attacker_email)

        # Risk counts the failures from identity's events: refused once they are in.
        refused = await eventually(attempt, lambda response: response.status_code == 403)
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "SIGN_IN_DENIED_BY_RISK"
        assert "set-cookie" not in refused.headers
        # Even a victim's right password gets nothing from the spraying address.
        await forget_rate_limits(stack, spray_ip)
        assert (await sign_in(spray, victims[0])).status_code == 403
    for email in victims:
        async with client_at(stack, uk_ip()) as own:
            response = await sign_in(own, email)
            assert response.status_code == 200, response.text
            assert "twoFactorRedirect" not in response.json()


async def test_at_nist_cap_the_account_waits_for_an_admin_unlock(stack: Stack) -> None:
    email = unique_email()
    user_id = await sign_up(stack, email)
    for _ in range(100):  # a botnet: each guess from its own address
        async with browser(stack) as http:
            assert (await sign_in(http, email, WRONG)).status_code == 401
    async with browser(stack) as owner:
        capped = await sign_in(owner, email)
    assert capped.status_code == 429
    assert capped.json()["code"] == "TOO_MANY_ATTEMPTS_RESET_PASSWORD"
    async with admin(stack) as http:
        unlocked = await http.post("/api/admin/risk/unlock", json={"userId": user_id})
        assert unlocked.status_code == 200, unlocked.text
        assert unlocked.json() == {"success": True, "cleared": 100}
    async with browser(stack) as owner:
        assert (await sign_in(owner, email)).status_code == 200


async def test_only_admins_see_risk_history_or_unlock(stack: Stack) -> None:
    email = unique_email()
    user_id = await sign_up(stack, email)
    async with browser(stack) as http:
        assert (await sign_in(http, email)).status_code == 200
        listed = await http.get("/api/admin/risk/history", params={"userId": user_id})
        assert listed.status_code == 403
        assert listed.json()["code"] == "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS"
        unlocked = await http.post("/api/admin/risk/unlock", json={"userId": user_id})
        assert unlocked.status_code == 403
    async with browser(stack) as anonymous:
        assert (
            await anonymous.get("/api/admin/risk/history", params={"userId": user_id})
        ).status_code == 401
    async with admin(stack) as http:
        bad = await http.get("/api/admin/risk/history", params={"userId": user_id, "limit": "0"})
        assert bad.status_code == 400
        cursor = await http.get(
            "/api/admin/risk/history", params={"userId": user_id, "cursor": "x"}
        )
        assert cursor.status_code == 400


# --- bad input and failure ---------------------------------------------------------------------


async def test_a_sign_in_without_user_agent_or_usable_address_is_still_decided(
    stack: Stack,
) -> None:
    email = unique_email()
    user_id = await sign_up(stack, email)
    headers = {"Origin": TRUSTED_ORIGIN, "X-Forwarded-For": "not-an-address", "User-Agent": ""}
    async with httpx.AsyncClient(base_url=stack.gateway_url, headers=headers) as http:
        await forget_rate_limits(stack)
        response = await sign_in(http, email)
    assert response.status_code == 200, response.text
    assessment, _ = await history(stack, user_id)  # the sign-in, the sign-up
    assert assessment["decision"] == "allow"
    names = factor_names(assessment)
    assert "user_agent_missing" in names
    assert names & {"ip_unparseable", "ip_missing"}


async def risk_answers_again(stack: Stack) -> None:
    """After a restart, until the gateway's channel to risk has reconnected."""

    async def status() -> int:
        async with admin(stack) as http:
            params = {"userId": new_id()}
            return (await http.get("/api/admin/risk/history", params=params)).status_code

    assert await eventually(status, lambda code: code == 200) == 200


async def test_with_risk_stopped_sign_in_fails_open(stack: Stack) -> None:
    email = unique_email()
    user_id = await sign_up(stack, email)
    await stack.stop_service("risk")
    try:
        async with browser(stack) as http:
            response = await sign_in(http, email)
    finally:
        await stack.start_service("risk")
    assert response.status_code == 200, response.text
    assert "twoFactorRedirect" not in response.json()
    # The unscored session is on the audit trail as such.
    unscored, signed_up = await sessions_created(stack, user_id, 2)
    assert unscored["risk"] == {"decision": "unavailable", "factors": ["risk_unavailable"]}
    assert signed_up["risk"]["decision"] == "allow"
    await risk_answers_again(stack)
    assert len(await history(stack, user_id)) == 1  # the sign-up's: risk never saw the sign-in
    # Back: sign-ins are scored again, and their sessions say how.
    async with browser(stack) as http:
        assert (await sign_in(http, email)).status_code == 200
    scored, _ = await history(stack, user_id)
    assert len(await history(stack, user_id)) == 2
    latest = (await sessions_created(stack, user_id, 3))[0]["risk"]
    assert latest["decision"] == "allow"
    assert latest["assessment_id"] == scored["id"]
    assert latest["factors"] == [factor["name"] for factor in scored["factors"]]


async def test_a_password_on_the_blocklist_is_a_risk_factor(stack: Stack) -> None:
    """A password set before the blocklist held it (an imported hash, an older list) still
    signs in, by email or username, and each such sign-in is scored with the factor."""
    email, username = unique_email(), f"ada_{next(_hosts)}"
    async with browser(stack) as http:
        body = {"name": "Ada", "email": email, "password": PASSWORD, "username": username}
        response = await http.post(
            f"{AUTH}/sign-up/email", json=body, headers={"User-Agent": FIREFOX}
        )
        assert response.status_code == 200, response.text
        user_id = str(response.json()["user"]["id"])
    common = "password123"
    legacy_hash = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1).hash(common)
    conn = await asyncpg.connect(stack.database_url("identity"))
    try:
        updated = await conn.execute(
            "UPDATE identity.accounts SET password = $1"
            " WHERE user_id = $2 AND provider_id = 'credential'",
            legacy_hash,
            user_id,
        )
    finally:
        await conn.close()
    assert updated == "UPDATE 1"
    async with browser(stack) as http:
        http.headers["User-Agent"] = FIREFOX
        by_email = await sign_in(http, email, common)
        assert by_email.status_code == 200, by_email.text
        by_username = await http.post(
            f"{AUTH}/sign-in/username", json={"username": username, "password": common}
        )
        assert by_username.status_code == 200, by_username.text
    username_sign_in, email_sign_in, sign_up_assessment = await history(stack, user_id)
    assert {email_sign_in["method"], username_sign_in["method"]} == {"email", "username"}
    for assessment in (email_sign_in, username_sign_in):
        assert "password_blocklisted" in factor_names(assessment), assessment
        assert assessment["decision"] == "allow"
    assert "password_blocklisted" not in factor_names(sign_up_assessment)
    for created in (await sessions_created(stack, user_id, 3))[:2]:
        assert "password_blocklisted" in created["risk"]["factors"]
