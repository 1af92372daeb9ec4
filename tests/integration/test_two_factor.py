"""Better-Auth's twoFactor plugin through the gateway (api.md §9.2): TOTP, backup codes, codes
mailed as the second factor, trusted devices, and the sign-in challenge on every first-factor
path — with Authmesh's stricter rules: no session of any kind before the factor, a TOTP step
accepted once per sign-in, one-time codes consumed atomically, a lockout that holds on every
path, and a sign-in that fails closed while mfa is down.

TOTP codes come from Debian's `oathtool`, an implementation independent of Authmesh's (under
CI=true a missing oathtool fails the tests instead of skipping them). Every `/two-factor/*`
endpoint allows 3 requests per 10 s per client IP, as do the sign-ins, so each request here
comes from an IP of its own.
"""

import asyncio
import base64
import json
import time
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx

from authmesh_kit.stack.supervisor import Stack
from authmesh_kit.testing.pytest_plugin import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.accounts import AUTH, PASSWORD
from tests.conftest import browser, unique_email
from tests.mailbox import Mailbox
from tests.two_factor import (
    PERIOD_S,
    Account,
    challenged,
    enroll_totp,
    fresh_ip,
    post,
    secret_of,
    sign_in,
    totp_code,
    wait_for_fresh_step,
)
from tests.waiting import eventually

INVALID_CODE = {"message": "Invalid code", "code": "INVALID_CODE"}
INVALID_BACKUP_CODE = {"message": "Invalid backup code", "code": "INVALID_BACKUP_CODE"}
INVALID_COOKIE = {"message": "Invalid two factor cookie", "code": "INVALID_TWO_FACTOR_COOKIE"}
LOCKED = {
    "message": "Too many failed verification attempts. Your account is temporarily locked. "
    "Please try again later.",
    "code": "ACCOUNT_TEMPORARILY_LOCKED",
}
TOO_MANY_ATTEMPTS = {
    "message": "Too many attempts. Please request a new code.",
    "code": "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE",
}


async def sign_up(http: httpx.AsyncClient, **extra: Any) -> Account:
    email = unique_email()
    response = await post(
        http, "/sign-up/email", {"name": "Ada", "email": email, "password": PASSWORD, **extra}
    )
    assert response.status_code == 200, response.text
    return Account(email=email, user_id=response.json()["user"]["id"])


async def two_factor_user(stack: Stack, **extra: Any) -> Account:
    async with browser(stack) as http:
        account = await sign_up(http, **extra)
        await enroll_totp(http, account)
    return account


async def session_of(http: httpx.AsyncClient) -> Any:
    response = await http.get(f"{AUTH}/get-session", params={"disableCookieCache": "true"})
    assert response.status_code == 200
    return response.json()


def set_cookie_lines(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


async def test_enable_answers_a_pending_totp_uri_and_ten_backup_codes(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)
    response = await post(client, "/two-factor/enable", {"password": PASSWORD, "issuer": "My App"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["method", "totpURI", "backupCodes"]
    assert body["method"] == "totp"
    uri = urlsplit(body["totpURI"])
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert uri.path == f"/My%20App:{account.email.replace('@', '%40')}"
    query = parse_qs(uri.query)
    assert query["issuer"] == ["My App"] and query["digits"] == ["6"] and query["period"] == ["30"]
    # 160 bits: 32 base32 characters.
    assert len(base64.b32decode(query["secret"][0])) == 20
    assert len(body["backupCodes"]) == 10 and len(set(body["backupCodes"])) == 10
    assert all(len(code) == 11 and code[5] == "-" for code in body["backupCodes"])
    # Better-Auth: not enabled until the first code.
    assert (await session_of(client))["user"]["twoFactorEnabled"] is False
    # The pending secret's QR code (an Authmesh extra).
    qr = await client.get("/api/two-factor/qr")
    assert qr.status_code == 200, qr.text
    assert qr.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in qr.content
    png = await client.get("/api/two-factor/qr", params={"format": "png"})
    assert png.headers["content-type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"


async def test_a_code_from_oathtool_enables_totp_and_rotates_the_session(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)
    enabled = await post(client, "/two-factor/enable", {"password": PASSWORD})
    secret = secret_of(enabled.json()["totpURI"])
    old_token = (await session_of(client))["session"]["token"]
    wrong = await post(client, "/two-factor/verify-totp", {"code": "000000"})
    assert wrong.status_code == 401 and wrong.json() == INVALID_CODE
    await wait_for_fresh_step()
    response = await post(client, "/two-factor/verify-totp", {"code": totp_code(secret)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["twoFactorEnabled"] is True and body["user"]["id"] == account.user_id
    assert body["token"] != old_token
    session = await session_of(client)
    assert session["session"]["token"] == body["token"]
    assert session["user"]["twoFactorEnabled"] is True
    # The old session is gone.
    async with httpx.AsyncClient(base_url=str(client.base_url)) as other:
        stale = await other.get(
            f"{AUTH}/get-session", headers={"Authorization": f"Bearer {old_token}"}
        )
        assert stale.json() is None
    # Once verified, the QR code is no longer shown; enabling again is refused.
    qr = await client.get("/api/two-factor/qr")
    assert qr.status_code == 400 and qr.json()["code"] == "TOTP_ALREADY_ENABLED"
    again = await post(client, "/two-factor/enable", {"password": PASSWORD})
    assert again.status_code == 400
    assert again.json() == {"message": "TOTP is already enabled", "code": "TOTP_ALREADY_ENABLED"}


async def test_password_sign_in_answers_a_challenge_and_no_session_of_any_kind(
    stack: Stack,
) -> None:
    account = await two_factor_user(stack)
    async with browser(stack) as http:
        response = await sign_in(http, account, callbackURL="/dashboard")
        assert response.status_code == 200
        assert response.json() == {"twoFactorRedirect": True, "twoFactorMethods": ["totp"]}
        assert response.headers["location"] == "/dashboard"
        assert "set-auth-token" not in response.headers
        lines = set_cookie_lines(response)
        assert lines[0].startswith("better-auth.session_token=; Max-Age=0")
        assert lines[1].startswith("better-auth.session_data=; Max-Age=0")
        assert lines[2].startswith("better-auth.two_factor=2fa-")
        assert "Max-Age=600" in lines[2] and "HttpOnly" in lines[2]
        assert await session_of(http) is None
        token = await http.get(f"{AUTH}/token")
        assert token.status_code == 401
        await wait_for_fresh_step()
        verified = await post(http, "/two-factor/verify-totp", {"code": totp_code(account.secret)})
        assert verified.status_code == 200, verified.text
        assert verified.json()["user"]["id"] == account.user_id
        assert verified.headers["set-auth-token"].startswith(verified.json()["token"])
        assert any(
            line.startswith("better-auth.two_factor=; Max-Age=0")
            for line in set_cookie_lines(verified)
        )
        session = await session_of(http)
        assert session["user"]["id"] == account.user_id
        # The challenge is used up.
        reused = await post(http, "/two-factor/verify-totp", {"code": "123456"})
        assert reused.status_code in (200, 401)  # signed in now: a session-scope check


async def test_rememberme_false_survives_the_challenge(stack: Stack) -> None:
    account = await two_factor_user(stack)
    async with browser(stack) as http:
        response = await sign_in(http, account, rememberMe=False)
        assert set_cookie_lines(response)[0].startswith("better-auth.dont_remember=true.")
        await wait_for_fresh_step()
        verified = await post(http, "/two-factor/verify-totp", {"code": totp_code(account.secret)})
        assert verified.status_code == 200, verified.text
        session_cookie = next(
            line
            for line in set_cookie_lines(verified)
            if line.startswith("better-auth.session_token=")
        )
        assert "Max-Age" not in session_cookie  # a browser-session cookie


async def test_codes_of_the_neighbouring_steps_pass_and_older_ones_fail(stack: Stack) -> None:
    account = await two_factor_user(stack)
    await wait_for_fresh_step(margin_s=5)
    now = time.time()
    stale = totp_code(account.secret, now - 2 * PERIOD_S)
    previous = totp_code(account.secret, now - PERIOD_S)
    following = totp_code(account.secret, now + PERIOD_S)
    async with challenged(stack, account) as http:
        too_old = await post(http, "/two-factor/verify-totp", {"code": stale})
        assert too_old.status_code == 401 and too_old.json() == INVALID_CODE
        assert (await post(http, "/two-factor/verify-totp", {"code": previous})).status_code == 200
    async with challenged(stack, account) as http:
        assert (await post(http, "/two-factor/verify-totp", {"code": following})).status_code == 200


async def test_a_totp_code_signs_in_once_per_step(stack: Stack) -> None:
    """Stricter than Better-Auth (NIST SP 800-63B: an OTP is accepted once). The enrollment's
    own code still signs in once: clients confirm and then sign in with the same code."""
    async with browser(stack) as http:
        account = await sign_up(http)
        enabled = await post(http, "/two-factor/enable", {"password": PASSWORD})
        account.secret = secret_of(enabled.json()["totpURI"])
        await wait_for_fresh_step(margin_s=8)
        code = totp_code(account.secret)
        confirmed = await post(http, "/two-factor/verify-totp", {"code": code})
        assert confirmed.status_code == 200
    async with challenged(stack, account) as first:
        assert (await post(first, "/two-factor/verify-totp", {"code": code})).status_code == 200
    async with challenged(stack, account) as replay:
        response = await post(replay, "/two-factor/verify-totp", {"code": code})
        assert response.status_code == 401 and response.json() == INVALID_CODE
        assert await session_of(replay) is None


async def test_concurrent_uses_of_one_totp_code_sign_in_once(stack: Stack) -> None:
    account = await two_factor_user(stack)
    await wait_for_fresh_step(margin_s=10)
    code = totp_code(account.secret, time.time() + PERIOD_S)  # a step no sign-in used yet
    async with AsyncExitStack() as stack_of_clients:
        clients = [
            await stack_of_clients.enter_async_context(challenged(stack, account)) for _ in range(5)
        ]
        answers = await asyncio.gather(
            *(post(http, "/two-factor/verify-totp", {"code": code}) for http in clients)
        )
    assert sorted(answer.status_code for answer in answers) == [200, 401, 401, 401, 401]


async def test_backup_codes_sign_in_once_each_and_can_be_regenerated(stack: Stack) -> None:
    account = await two_factor_user(stack)
    assert account.backup_codes is not None
    code = account.backup_codes[0]
    async with challenged(stack, account) as http:
        wrong = await post(http, "/two-factor/verify-backup-code", {"code": "AAAAA-BBBBB"})
        assert wrong.status_code == 401 and wrong.json() == INVALID_BACKUP_CODE
        used = await post(http, "/two-factor/verify-backup-code", {"code": code})
        assert used.status_code == 200, used.text
        assert list(used.json()) == ["token", "user"]
        regenerated = await post(http, "/two-factor/generate-backup-codes", {"password": PASSWORD})
        assert regenerated.status_code == 200, regenerated.text
        fresh = regenerated.json()
        assert fresh["status"] is True and len(fresh["backupCodes"]) == 10
        wrong_password = await post(
            http, "/two-factor/generate-backup-codes", {"password": "not the password"}
        )
        assert wrong_password.status_code == 400
        assert wrong_password.json()["code"] == "INVALID_PASSWORD"
    async with challenged(stack, account) as again:
        reuse = await post(again, "/two-factor/verify-backup-code", {"code": code})
        assert reuse.status_code == 401 and reuse.json() == INVALID_BACKUP_CODE
        # The old set went with the regeneration; the new one works.
        old = await post(again, "/two-factor/verify-backup-code", {"code": account.backup_codes[1]})
        assert old.status_code == 401
        new = await post(again, "/two-factor/verify-backup-code", {"code": fresh["backupCodes"][0]})
        assert new.status_code == 200, new.text


async def test_concurrent_uses_of_one_backup_code_sign_in_once(stack: Stack) -> None:
    account = await two_factor_user(stack)
    assert account.backup_codes is not None
    async with AsyncExitStack() as stack_of_clients:
        clients = [
            await stack_of_clients.enter_async_context(challenged(stack, account)) for _ in range(8)
        ]
        answers = await asyncio.gather(
            *(
                post(http, "/two-factor/verify-backup-code", {"code": account.backup_codes[2]})
                for http in clients
            )
        )
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(200) == 1, statuses
    for answer in answers:
        if answer.status_code == 409:  # saw it live, lost the race: Better-Auth's answer
            assert answer.json() == {"message": "Failed to verify backup code. Please try again."}
        elif answer.status_code != 200:
            assert answer.status_code == 401 and answer.json() == INVALID_BACKUP_CODE


async def test_disable_session_checks_a_backup_code_without_signing_in(stack: Stack) -> None:
    account = await two_factor_user(stack)
    assert account.backup_codes is not None
    async with challenged(stack, account) as http:
        response = await post(
            http,
            "/two-factor/verify-backup-code",
            {"code": account.backup_codes[3], "disableSession": True},
        )
        assert response.status_code == 200, response.text
        assert list(response.json()) == ["user"]
        assert response.json()["user"]["id"] == account.user_id
        assert "set-auth-token" not in response.headers
        assert await session_of(http) is None
        # The challenge is used up.
        after = await post(
            http, "/two-factor/verify-backup-code", {"code": account.backup_codes[4]}
        )
        assert after.status_code == 401 and after.json() == INVALID_COOKIE


async def test_a_challenge_allows_five_tries(stack: Stack) -> None:
    account = await two_factor_user(stack)
    async with challenged(stack, account) as http:
        for _ in range(5):
            wrong = await post(http, "/two-factor/verify-totp", {"code": "000000"})
            assert wrong.status_code == 401 and wrong.json() == INVALID_CODE
        await wait_for_fresh_step()
        sixth = await post(http, "/two-factor/verify-totp", {"code": totp_code(account.secret)})
        assert sixth.status_code == 400 and sixth.json() == TOO_MANY_ATTEMPTS
        seventh = await post(http, "/two-factor/verify-totp", {"code": totp_code(account.secret)})
        assert seventh.status_code == 401 and seventh.json() == INVALID_COOKIE


async def _phone_number(http: httpx.AsyncClient, mail: Mailbox) -> str:
    number = f"+1555{int(time.time() * 1000) % 10_000_000:07d}"
    sent = await post(http, "/phone-number/send-otp", {"phoneNumber": number})
    assert sent.status_code == 200, sent.text
    code = (await mail.next(number, "phone-otp")).fields["otp"]
    verified = await post(
        http,
        "/phone-number/verify",
        {"phoneNumber": number, "code": code, "updatePhoneNumber": True},
    )
    assert verified.status_code == 200, verified.text
    return number


async def test_a_lockout_holds_on_every_first_factor_path(stack: Stack, mail: Mailbox) -> None:
    """10 consecutive failures lock the factors for 15 minutes; the right code is refused then,
    after a sign-in by email, username, phone number or emailed code alike."""
    username = f"lock{int(time.time() * 1000) % 10**9}"
    async with browser(stack) as http:
        account = await sign_up(http, username=username)
        number = await _phone_number(http, mail)
        await enroll_totp(http, account)
    assert account.backup_codes is not None
    for _ in range(2):  # 2 challenges of 5 tries each
        async with challenged(stack, account) as attacker:
            for _ in range(5):
                wrong = await post(attacker, "/two-factor/verify-totp", {"code": "000000"})
                assert wrong.status_code == 401
    paths = [
        ("/sign-in/email", {"email": account.email, "password": PASSWORD}),
        ("/sign-in/username", {"username": username, "password": PASSWORD}),
        ("/sign-in/phone-number", {"phoneNumber": number, "password": PASSWORD}),
    ]
    for path, body in paths:
        async with browser(stack) as owner:
            signed_in = await post(owner, path, body)
            assert signed_in.json()["twoFactorRedirect"] is True, (path, signed_in.text)
            await wait_for_fresh_step()
            refused = await post(
                owner, "/two-factor/verify-totp", {"code": totp_code(account.secret)}
            )
            assert refused.status_code == 429 and refused.json() == LOCKED, path
            assert int(refused.headers["x-retry-after"]) > 800
            backup = await post(
                owner, "/two-factor/verify-backup-code", {"code": account.backup_codes[0]}
            )
            assert backup.status_code == 429, path
            assert await session_of(owner) is None
    async with browser(stack) as owner:
        sent = await post(
            owner, "/email-otp/send-verification-otp", {"email": account.email, "type": "sign-in"}
        )
        assert sent.status_code == 200
        otp = (await mail.next(account.email, "email-otp")).fields["otp"]
        signed_in = await post(owner, "/sign-in/email-otp", {"email": account.email, "otp": otp})
        assert signed_in.json() == {"twoFactorRedirect": True, "twoFactorMethods": ["totp"]}
        refused = await post(owner, "/two-factor/verify-totp", {"code": totp_code(account.secret)})
        assert refused.status_code == 429

    async def types() -> set[str]:
        return {kind for kind, _ in await audit_entries(stack, account.user_id)}

    assert "auth.mfa.two_factor.locked.v1" in await eventually(
        types, lambda found: "auth.mfa.two_factor.locked.v1" in found
    )


async def test_mailed_codes_as_the_second_factor(stack: Stack, mail: Mailbox) -> None:
    async with browser(stack) as http:
        account = await sign_up(http)
        old_token = (await session_of(http))["session"]["token"]
        enabled = await post(http, "/two-factor/enable", {"password": PASSWORD, "method": "otp"})
        assert enabled.status_code == 200, enabled.text
        assert enabled.json() == {"method": "otp"}
        session = await session_of(http)
        assert session["user"]["twoFactorEnabled"] is True
        assert session["session"]["token"] != old_token  # rotated
    async with browser(stack) as http:
        signed_in = await sign_in(http, account)
        assert signed_in.json() == {"twoFactorRedirect": True, "twoFactorMethods": ["otp"]}
        before = await post(http, "/two-factor/verify-otp", {"code": "123456"})
        assert before.status_code == 400
        assert before.json() == {"message": "OTP has expired", "code": "OTP_HAS_EXPIRED"}
        totp = await post(http, "/two-factor/verify-totp", {"code": "123456"})
        assert totp.status_code == 400 and totp.json()["code"] == "TOTP_NOT_ENABLED"
        sent = await post(http, "/two-factor/send-otp")
        assert sent.status_code == 200 and sent.json() == {"status": True}
        message = await mail.next(account.email, "two-factor-otp")
        assert list(message.fields) == ["otp"]
        otp = message.fields["otp"]
        assert len(otp) == 6 and otp.isdigit()
        wrong = await post(
            http, "/two-factor/verify-otp", {"code": "000000" if otp != "000000" else "111111"}
        )
        assert wrong.status_code == 401 and wrong.json() == INVALID_CODE
        verified = await post(http, "/two-factor/verify-otp", {"code": otp})
        assert verified.status_code == 200, verified.text
        assert (await session_of(http))["user"]["id"] == account.user_id
    async with browser(stack) as http:
        await sign_in(http, account)
        reused = await post(http, "/two-factor/verify-otp", {"code": otp})
        assert reused.status_code == 400 and reused.json()["code"] == "OTP_HAS_EXPIRED"


async def test_a_trusted_device_skips_the_factor_with_a_rotating_cookie(stack: Stack) -> None:
    account = await two_factor_user(stack)
    async with challenged(stack, account) as http:
        await wait_for_fresh_step()
        verified = await post(
            http,
            "/two-factor/verify-totp",
            {"code": totp_code(account.secret), "trustDevice": True},
        )
        assert verified.status_code == 200, verified.text
        trust_line = next(
            line
            for line in set_cookie_lines(verified)
            if line.startswith("better-auth.trust_device=")
        )
        assert "Max-Age=2592000" in trust_line
        first_cookie = http.cookies["better-auth.trust_device"]
        assert "%21trust-device-" in first_cookie or "!trust-device-" in first_cookie
        await post(http, "/sign-out")
        again = await sign_in(http, account)
        assert again.status_code == 200, again.text
        assert "token" in again.json() and "twoFactorRedirect" not in again.json()
        second_cookie = http.cookies["better-auth.trust_device"]
        assert second_cookie != first_cookie
    # The used cookie, copied elsewhere, is worth nothing now.
    async with browser(stack) as thief:
        thief.cookies.set("better-auth.trust_device", first_cookie)
        stolen = await sign_in(thief, account)
        assert stolen.json()["twoFactorRedirect"] is True
        assert any(
            line.startswith("better-auth.trust_device=; Max-Age=0")
            for line in set_cookie_lines(stolen)
        )
    # Another user's sign-in does not accept this user's device.
    other = await two_factor_user(stack)
    async with browser(stack) as shared:
        shared.cookies.set("better-auth.trust_device", second_cookie)
        response = await sign_in(shared, other)
        assert response.json()["twoFactorRedirect"] is True


async def test_a_password_change_revokes_trusted_devices(stack: Stack) -> None:
    account = await two_factor_user(stack)
    async with challenged(stack, account) as http:
        await wait_for_fresh_step()
        await post(
            http,
            "/two-factor/verify-totp",
            {"code": totp_code(account.secret), "trustDevice": True},
        )
        changed = await post(
            http,
            "/change-password",
            {"currentPassword": PASSWORD, "newPassword": "a brand new passphrase"},
        )
        assert changed.status_code == 200, changed.text
        account_password = "a brand new passphrase"

        async def sign_in_answer() -> Any:
            await post(http, "/sign-out")
            response = await post(
                http, "/sign-in/email", {"email": account.email, "password": account_password}
            )
            return response.json()

        answer = await eventually(sign_in_answer, lambda body: "twoFactorRedirect" in body)
        assert answer["twoFactorRedirect"] is True


async def test_a_ban_revokes_trusted_devices(stack: Stack) -> None:
    account = await two_factor_user(stack)
    async with challenged(stack, account) as http:
        await wait_for_fresh_step()
        trusted = await post(
            http,
            "/two-factor/verify-totp",
            {"code": totp_code(account.secret), "trustDevice": True},
        )
        assert trusted.status_code == 200
        async with browser(stack) as admin:
            signed_in = await post(
                admin, "/sign-in/email", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
            )
            assert signed_in.status_code == 200, signed_in.text
            banned = await post(admin, "/admin/ban-user", {"userId": account.user_id})
            assert banned.status_code == 200, banned.text
            unbanned = await post(admin, "/admin/unban-user", {"userId": account.user_id})
            assert unbanned.status_code == 200, unbanned.text

        async def sign_in_answer() -> Any:
            return (await sign_in(http, account)).json()

        answer = await eventually(sign_in_answer, lambda body: "twoFactorRedirect" in body)
        assert answer["twoFactorRedirect"] is True


async def test_disable_removes_the_factor_and_rotates_the_session(stack: Stack) -> None:
    account = await two_factor_user(stack)
    async with challenged(stack, account) as http:
        await wait_for_fresh_step()
        await post(
            http,
            "/two-factor/verify-totp",
            {"code": totp_code(account.secret), "trustDevice": True},
        )
        token = (await session_of(http))["session"]["token"]
        wrong = await post(http, "/two-factor/disable", {"password": "not the password"})
        assert wrong.status_code == 400 and wrong.json()["code"] == "INVALID_PASSWORD"
        disabled = await post(http, "/two-factor/disable", {"password": PASSWORD})
        assert disabled.status_code == 200 and disabled.json() == {"status": True}
        assert any(
            line.startswith("better-auth.trust_device=; Max-Age=0")
            for line in set_cookie_lines(disabled)
        )
        session = await session_of(http)
        assert session["user"]["twoFactorEnabled"] is False
        assert session["session"]["token"] != token
        uri = await post(http, "/two-factor/get-totp-uri", {"password": PASSWORD})
        assert uri.status_code == 400 and uri.json()["code"] == "TOTP_NOT_ENABLED"
    async with browser(stack) as http:
        response = await sign_in(http, account)
        assert response.json()["user"]["twoFactorEnabled"] is False


async def test_get_totp_uri_needs_the_password(stack: Stack) -> None:
    account = await two_factor_user(stack)
    async with challenged(stack, account) as http:
        await wait_for_fresh_step()
        await post(http, "/two-factor/verify-totp", {"code": totp_code(account.secret)})
        wrong = await post(http, "/two-factor/get-totp-uri", {"password": "not the password"})
        assert wrong.status_code == 400 and wrong.json()["code"] == "INVALID_PASSWORD"
        uri = await post(http, "/two-factor/get-totp-uri", {"password": PASSWORD})
        assert uri.status_code == 200 and list(uri.json()) == ["totpURI"]
        assert secret_of(uri.json()["totpURI"]) == account.secret


async def test_email_otp_and_magic_link_sign_ins_ask_for_the_factor(
    stack: Stack, mail: Mailbox
) -> None:
    account = await two_factor_user(stack)
    async with browser(stack) as http:
        sent = await post(
            http, "/sign-in/magic-link", {"email": account.email, "callbackURL": "/welcome"}
        )
        assert sent.status_code == 200, sent.text
        link = (await mail.next(account.email, "magic-link")).fields["url"]
        opened = await http.get(link.replace(str(stack.gateway_url), ""), headers=fresh_ip())
        assert opened.status_code == 302
        assert opened.headers["location"].endswith("/welcome?twoFactorRedirect=true")
        assert any(
            line.startswith("better-auth.two_factor=2fa-") for line in set_cookie_lines(opened)
        )
        assert await session_of(http) is None
        await wait_for_fresh_step()
        verified = await post(http, "/two-factor/verify-totp", {"code": totp_code(account.secret)})
        assert verified.status_code == 200, verified.text
        assert (await session_of(http))["user"]["id"] == account.user_id


async def audit_entries(stack: Stack, user_id: str) -> list[tuple[str, str]]:
    """(type, payload) of the user's audit entries."""
    conn = await asyncpg.connect(stack.database_url("audit"))
    try:
        rows = await conn.fetch(
            "SELECT type, payload FROM audit.entries WHERE user_id = $1 ORDER BY event_id", user_id
        )
    finally:
        await conn.close()
    return [(row["type"], str(row["payload"])) for row in rows]


async def test_events_record_each_step_without_a_secret(stack: Stack) -> None:
    account = await two_factor_user(stack)
    assert account.backup_codes is not None
    async with challenged(stack, account) as http:
        wrong = await post(http, "/two-factor/verify-totp", {"code": "000000"})
        assert wrong.status_code == 401
        await wait_for_fresh_step()
        code = totp_code(account.secret)
        assert (await post(http, "/two-factor/verify-totp", {"code": code})).status_code == 200
        assert (await post(http, "/two-factor/disable", {"password": PASSWORD})).status_code == 200
    wanted = {
        "auth.mfa.backup_codes.generated.v1",
        "auth.mfa.two_factor.enrolled.v1",
        "auth.mfa.two_factor.failed.v1",
        "auth.mfa.two_factor.verified.v1",
        "auth.mfa.two_factor.disabled.v1",
    }

    async def entries() -> list[tuple[str, str]]:
        return await audit_entries(stack, account.user_id)

    found = await eventually(entries, lambda got: wanted <= {kind for kind, _ in got})
    assert wanted <= {kind for kind, _ in found}
    payloads = "\n".join(payload for _, payload in found)
    for secret in (account.secret, code, *account.backup_codes):
        assert secret not in payloads
    # The session the second factor made says so.
    created = [
        json.loads(payload) for kind, payload in found if kind == "auth.session.session.created.v1"
    ]
    assert any(entry.get("mfa_used") and entry["method"] == "two-factor" for entry in created)


async def test_sign_in_fails_closed_while_mfa_is_down(stack: Stack) -> None:
    account = await two_factor_user(stack)
    async with browser(stack) as http:
        plain = await sign_up(http)
    await stack.stop_service("mfa")
    try:
        async with browser(stack) as http:
            refused = await sign_in(http, account)
            assert refused.status_code == 503
            assert refused.json()["code"] == "TWO_FACTOR_UNAVAILABLE"
            assert "set-auth-token" not in refused.headers
            assert await session_of(http) is None
            unaffected = await sign_in(http, plain)
            assert unaffected.status_code == 200, unaffected.text
            assert "token" in unaffected.json()
    finally:
        await stack.start_service("mfa")
    # The gateway's channel finds the restarted mfa on its own, within its reconnect backoff.
    async with browser(stack) as http:

        async def sign_in_status() -> int:
            return (await sign_in(http, account)).status_code

        assert await eventually(sign_in_status, lambda status: status != 503) == 200


async def test_endpoints_refuse_bad_input(stack: Stack) -> None:
    async with browser(stack) as http:
        no_cookie = await post(http, "/two-factor/verify-totp", {"code": "123456"})
        assert no_cookie.status_code == 401 and no_cookie.json() == INVALID_COOKIE
        no_cookie = await post(http, "/two-factor/send-otp")
        assert no_cookie.status_code == 401 and no_cookie.json() == INVALID_COOKIE
        forged = httpx.Cookies({"better-auth.two_factor": "2fa-x.AAAA"})
        http.cookies.update(forged)
        forged_answer = await post(http, "/two-factor/verify-backup-code", {"code": "a"})
        assert forged_answer.status_code == 401 and forged_answer.json() == INVALID_COOKIE
        number = await post(http, "/two-factor/verify-totp", {"code": 123456})
        assert number.status_code == 400
        assert number.json() == {
            "message": "[body.code] Invalid input: expected string, received number",
            "code": "VALIDATION_ERROR",
        }
        huge = await post(http, "/two-factor/verify-otp", {"code": "1" * 10_000})
        assert huge.status_code == 400 and huge.json()["code"] == "VALIDATION_ERROR"
        unauthenticated = await post(http, "/two-factor/enable", {"password": PASSWORD})
        assert unauthenticated.status_code == 401
        await sign_up(http)
        method = await post(http, "/two-factor/enable", {"password": PASSWORD, "method": "sms"})
        assert method.status_code == 400
        assert method.json() == {
            "message": '[body.method] Invalid option: expected one of "otp"|"totp"',
            "code": "VALIDATION_ERROR",
        }
        missing = await post(http, "/two-factor/enable", {})
        assert missing.json()["message"] == (
            "[body.password] Invalid input: expected string, received undefined"
        )
        wrong_password = await post(http, "/two-factor/enable", {"password": "not the password"})
        assert wrong_password.status_code == 400
        assert wrong_password.json()["code"] == "INVALID_PASSWORD"
        not_enabled = await post(http, "/two-factor/generate-backup-codes", {"password": PASSWORD})
        assert not_enabled.status_code == 400
        assert not_enabled.json() == {
            "message": "Two factor isn't enabled",
            "code": "TWO_FACTOR_NOT_ENABLED",
        }
        no_codes = await post(http, "/two-factor/verify-backup-code", {"code": "AAAAA-BBBBB"})
        assert no_codes.status_code == 400 and no_codes.json()["code"] == "BACKUP_CODES_NOT_ENABLED"
        no_totp = await post(http, "/two-factor/verify-totp", {"code": "123456"})
        assert no_totp.status_code == 400 and no_totp.json()["code"] == "TOTP_NOT_ENABLED"
        bad_format = await http.get("/api/two-factor/qr", params={"format": "gif"})
        assert bad_format.status_code == 400
