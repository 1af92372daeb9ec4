"""Better-Auth's passkey plugin through the gateway (api.md §9.3), with a software WebAuthn
authenticator (tests/webauthn_authenticator.py) in the browser's place.

The relying party comes from the stack's configuration: RP id `localhost` (the public URL's
host), origins the public URL's and the trusted `http://localhost:3000`, where the "app" of
these tests runs. Whatever Origin header a request carries, clientDataJSON must name one of
those, and the authenticator data must be scoped to `localhost`.
"""

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from authmesh_kit.stack.supervisor import Stack
from tests.conftest import TRUSTED_ORIGIN, browser, unique_email
from tests.two_factor import Account, challenged, enroll_totp, post, totp_code, wait_for_fresh_step
from tests.waiting import eventually
from tests.webauthn_authenticator import SoftwareAuthenticator

AUTH = "/api/auth"
PASSWORD = "correct horse battery"
RP_ID = "localhost"
CHALLENGE_COOKIE = "better-auth.better-auth-passkey"
CHALLENGE_NOT_FOUND = {"message": "Challenge not found", "code": "CHALLENGE_NOT_FOUND"}
FAILED_TO_VERIFY = {
    "message": "Failed to verify registration",
    "code": "FAILED_TO_VERIFY_REGISTRATION",
}
AUTHENTICATION_FAILED = {"message": "Authentication failed", "code": "AUTHENTICATION_FAILED"}
PASSKEY_NOT_FOUND = {"message": "Passkey not found", "code": "PASSKEY_NOT_FOUND"}
UNAUTHORIZED = {"message": "Unauthorized", "code": "UNAUTHORIZED"}


def new_authenticator(**options: Any) -> SoftwareAuthenticator:
    return SoftwareAuthenticator(origin=TRUSTED_ORIGIN, rp_id=RP_ID, **options)


@dataclass
class Member:
    http: httpx.AsyncClient
    user: dict[str, Any]
    authenticator: SoftwareAuthenticator


async def sign_up(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.post(
        f"{AUTH}/sign-up/email", json={"name": "Ada", "email": unique_email(), "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    user: dict[str, Any] = response.json()["user"]
    return user


async def register_options(http: httpx.AsyncClient, **query: str) -> dict[str, Any]:
    response = await http.get(f"{AUTH}/passkey/generate-register-options", params=query)
    assert response.status_code == 200, response.text
    options: dict[str, Any] = response.json()
    return options


async def verify_registration(
    http: httpx.AsyncClient, response: Any, **extra: Any
) -> httpx.Response:
    return await http.post(
        f"{AUTH}/passkey/verify-registration", json={"response": response, **extra}
    )


async def register(member: Member, name: str | None = None) -> dict[str, Any]:
    options = await register_options(member.http)
    answer = await verify_registration(
        member.http, member.authenticator.create(options), **({"name": name} if name else {})
    )
    assert answer.status_code == 200, answer.text
    passkey: dict[str, Any] = answer.json()
    return passkey


async def authenticate_options(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.get(f"{AUTH}/passkey/generate-authenticate-options")
    assert response.status_code == 200, response.text
    options: dict[str, Any] = response.json()
    return options


async def verify_authentication(http: httpx.AsyncClient, response: Any) -> httpx.Response:
    return await http.post(f"{AUTH}/passkey/verify-authentication", json={"response": response})


async def passkeys_of(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await http.get(f"{AUTH}/passkey/list-user-passkeys")
    assert response.status_code == 200, response.text
    passkeys: list[dict[str, Any]] = response.json()
    return passkeys


async def session_user_id(http: httpx.AsyncClient) -> str | None:
    body = (await http.get(f"{AUTH}/get-session")).json()
    return None if body is None else str(body["user"]["id"])


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@asynccontextmanager
async def member(stack: Stack, **authenticator: Any) -> AsyncIterator[Member]:
    """A signed-up user's browser and authenticator."""
    async with browser(stack) as http:
        yield Member(http, await sign_up(http), new_authenticator(**authenticator))


async def event_types(stack: Stack, user_id: str) -> list[str]:
    conn = await asyncpg.connect(stack.database_url("audit"))
    try:
        rows = await conn.fetch(
            "SELECT type FROM audit.entries WHERE user_id = $1 ORDER BY event_id", user_id
        )
    finally:
        await conn.close()
    return [row["type"] for row in rows]


# --- registration ---------------------------------------------------------------------------


async def test_register_options_name_the_configured_rp_and_exclude_registered_keys(
    stack: Stack,
) -> None:
    async with member(stack) as ada:
        response = await ada.http.get(f"{AUTH}/passkey/generate-register-options")
        assert response.status_code == 200, response.text
        options = response.json()
        assert list(options) == [
            "challenge",
            "rp",
            "user",
            "pubKeyCredParams",
            "timeout",
            "attestation",
            "excludeCredentials",
            "authenticatorSelection",
            "extensions",
            "hints",
        ]
        assert options["rp"] == {"name": "Authmesh", "id": RP_ID}
        assert options["user"]["name"] == options["user"]["displayName"] == ada.user["email"]
        assert len(b64url_decode(options["user"]["id"])) == 32  # random, no personal data
        assert len(b64url_decode(options["challenge"])) == 32
        assert [p["alg"] for p in options["pubKeyCredParams"]] == [-8, -7, -257]
        assert options["excludeCredentials"] == []
        assert options["authenticatorSelection"] == {
            "residentKey": "preferred",
            "userVerification": "preferred",
            "requireResidentKey": False,
        }
        [cookie] = response.headers.get_list("set-cookie")
        assert cookie.startswith(f"{CHALLENGE_COOKIE}=")
        assert cookie.endswith("; Max-Age=300; Path=/; HttpOnly; SameSite=Lax")

        passkey = await register(ada, name="  laptop  ")
        assert passkey["name"] == "laptop"
        assert passkey["userId"] == ada.user["id"]
        assert (passkey["counter"], passkey["deviceType"], passkey["transports"]) == (
            0,
            "singleDevice",
            "internal",
        )
        again = await register_options(
            ada.http, name="Ada's phone", authenticatorAttachment="cross-platform"
        )
        assert again["user"]["name"] == "Ada's phone"
        assert again["authenticatorSelection"]["authenticatorAttachment"] == "cross-platform"
        assert again["excludeCredentials"] == [
            {"id": passkey["credentialID"], "transports": ["internal"], "type": "public-key"}
        ]
        assert await passkeys_of(ada.http) == [passkey]


async def test_registration_refuses_other_origins_rp_ids_and_challenges(stack: Stack) -> None:
    async with member(stack) as ada:
        for origin, rp_id in (("https://evil.example", None), (None, "evil.example")):
            options = await register_options(ada.http)
            response = new_authenticator().create(options, origin=origin, rp_id=rp_id)
            answer = await verify_registration(ada.http, response)
            assert (answer.status_code, answer.json()) == (400, FAILED_TO_VERIFY), rp_id
        options = await register_options(ada.http)
        stale = new_authenticator().create(options)
        await register_options(ada.http)  # a new challenge replaces the cookie
        answer = await verify_registration(ada.http, stale)
        assert (answer.status_code, answer.json()) == (400, FAILED_TO_VERIFY)
        # Each refused attempt used its challenge up.
        answer = await verify_registration(ada.http, stale)
        assert (answer.status_code, answer.json()) == (400, CHALLENGE_NOT_FOUND)
        assert await passkeys_of(ada.http) == []


async def test_a_registration_challenge_is_its_users_only(stack: Stack) -> None:
    async with member(stack) as ada, member(stack) as bob:
        options = await register_options(ada.http)
        cookie = ada.http.cookies.get(CHALLENGE_COOKIE)
        assert cookie
        bob.http.cookies.set(CHALLENGE_COOKIE, cookie)
        answer = await verify_registration(bob.http, bob.authenticator.create(options))
        assert (answer.status_code, answer.json()) == (
            401,
            {
                "message": "You are not allowed to register this passkey",
                "code": "YOU_ARE_NOT_ALLOWED_TO_REGISTER_THIS_PASSKEY",
            },
        )


async def test_registration_needs_a_fresh_session(stack: Stack) -> None:
    async with browser(stack) as anonymous:
        for method, path in (
            ("GET", "/passkey/generate-register-options"),
            ("POST", "/passkey/verify-registration"),
            ("GET", "/passkey/list-user-passkeys"),
            ("POST", "/passkey/update-passkey"),
            ("POST", "/passkey/delete-passkey"),
        ):
            body = {"response": {}, "id": "x", "name": "y"} if method == "POST" else None
            answer = await anonymous.request(method, f"{AUTH}{path}", json=body)
            assert (answer.status_code, answer.json()) == (401, UNAUTHORIZED), path
    async with member(stack) as ada:
        conn = await asyncpg.connect(stack.database_url("session"))
        try:
            await conn.execute(
                "UPDATE session.sessions SET created_at = now() - interval '2 hours'"
                " WHERE user_id = $1",
                ada.user["id"],
            )
        finally:
            await conn.close()
        stale = await ada.http.get(f"{AUTH}/passkey/generate-register-options")
        assert (stale.status_code, stale.json()["code"]) == (403, "SESSION_NOT_FRESH")
        # Listing needs a session, not a fresh one.
        assert await passkeys_of(ada.http) == []


# --- sign-in --------------------------------------------------------------------------------


async def test_sign_in_with_a_discoverable_passkey_and_no_email(stack: Stack) -> None:
    async with member(stack) as ada, browser(stack) as stranger:
        passkey = await register(ada)
        options = await authenticate_options(stranger)
        assert list(options) == ["rpId", "challenge", "timeout", "userVerification"]
        assert (options["rpId"], options["timeout"], options["userVerification"]) == (
            RP_ID,
            60000,
            "preferred",
        )
        answer = await verify_authentication(stranger, ada.authenticator.get(options))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert list(body) == ["session", "user"]
        assert body["user"]["id"] == ada.user["id"]
        assert body["session"]["userId"] == ada.user["id"]
        assert answer.headers["set-auth-token"].startswith(body["session"]["token"])
        assert await session_user_id(stranger) == ada.user["id"]
        [stored] = await passkeys_of(stranger)
        assert stored["counter"] == 1 and stored["id"] == passkey["id"]


async def test_a_signed_in_user_is_offered_their_own_credentials(stack: Stack) -> None:
    async with member(stack) as ada:
        passkey = await register(ada)
        options = await authenticate_options(ada.http)
        assert options["allowCredentials"] == [
            {"id": passkey["credentialID"], "transports": ["internal"], "type": "public-key"}
        ]
        answer = await verify_authentication(ada.http, ada.authenticator.get(options))
        assert answer.status_code == 200, answer.text


async def test_sign_in_refuses_other_origins_rp_ids_and_challenges(stack: Stack) -> None:
    async with member(stack) as ada, browser(stack) as attacker:
        await register(ada)
        for origin, rp_id in (("https://evil.example", None), (None, "evil.example")):
            options = await authenticate_options(attacker)
            lying = ada.authenticator.get(options, origin=origin, rp_id=rp_id)
            answer = await verify_authentication(attacker, lying)
            assert (answer.status_code, answer.json()) == (400, AUTHENTICATION_FAILED), rp_id
        other_challenge = await authenticate_options(attacker)
        await authenticate_options(attacker)  # the cookie now names another challenge
        answer = await verify_authentication(attacker, ada.authenticator.get(other_challenge))
        assert (answer.status_code, answer.json()) == (400, AUTHENTICATION_FAILED)
        assert await session_user_id(attacker) is None


async def test_a_replayed_assertion_is_refused(stack: Stack) -> None:
    async with member(stack) as ada, browser(stack) as first, browser(stack) as replayer:
        await register(ada)
        options = await authenticate_options(first)
        assertion = ada.authenticator.get(options)
        assert (await verify_authentication(first, assertion)).status_code == 200
        # With the same cookie: its challenge is used up.
        again = await verify_authentication(first, assertion)
        assert (again.status_code, again.json()) == (400, CHALLENGE_NOT_FOUND)
        # With a challenge of its own: the assertion signs another one.
        await authenticate_options(replayer)
        replayed = await verify_authentication(replayer, assertion)
        assert (replayed.status_code, replayed.json()) == (400, AUTHENTICATION_FAILED)
        assert await session_user_id(replayer) is None


async def test_concurrent_answers_to_one_challenge_sign_in_once(stack: Stack) -> None:
    async with member(stack) as ada, browser(stack) as http:
        await register(ada)
        assertion = ada.authenticator.get(await authenticate_options(http))
        answers = await asyncio.gather(*(verify_authentication(http, assertion) for _ in range(8)))
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [200] + [400] * 7
        assert all(a.json() == CHALLENGE_NOT_FOUND for a in answers if a.status_code == 400)


async def test_a_counter_rollback_is_refused_and_flagged_as_a_possible_clone(
    stack: Stack,
) -> None:
    async with member(stack) as ada, browser(stack) as http:
        passkey = await register(ada)
        for _ in range(3):
            options = await authenticate_options(http)
            assert (await verify_authentication(http, ada.authenticator.get(options))).is_success
        options = await authenticate_options(http)
        cloned = ada.authenticator.get(options, sign_count=2)  # a copy of the key, behind
        answer = await verify_authentication(http, cloned)
        assert (answer.status_code, answer.json()) == (400, AUTHENTICATION_FAILED)
        [stored] = await passkeys_of(ada.http)
        assert stored["counter"] == 3 and stored["id"] == passkey["id"]
        # The genuine authenticator goes on.
        options = await authenticate_options(http)
        assert (await verify_authentication(http, ada.authenticator.get(options))).is_success
        types = await eventually(
            lambda: event_types(stack, ada.user["id"]),
            lambda found: "auth.mfa.passkey.clone_suspected.v1" in found,
        )
        assert "auth.mfa.passkey.clone_suspected.v1" in types
        assert "auth.mfa.passkey.rejected.v1" in types


async def test_an_authenticator_without_a_counter_signs_in_again_and_again(stack: Stack) -> None:
    async with member(stack) as ada, browser(stack) as http:
        await register(ada)
        for _ in range(2):
            options = await authenticate_options(http)
            synced = ada.authenticator.get(options, sign_count=0)  # synced passkeys report 0
            assert (await verify_authentication(http, synced)).is_success


# --- managing passkeys ----------------------------------------------------------------------


async def test_rename_and_delete_own_passkeys_only(stack: Stack) -> None:
    async with member(stack) as ada, member(stack) as bob, browser(stack) as http:
        passkey = await register(ada)
        renamed = await ada.http.post(
            f"{AUTH}/passkey/update-passkey", json={"id": passkey["id"], "name": "  work key "}
        )
        assert renamed.status_code == 200, renamed.text
        assert renamed.json() == {"passkey": passkey | {"name": "work key"}}

        blank = await ada.http.post(
            f"{AUTH}/passkey/update-passkey", json={"id": passkey["id"], "name": "   "}
        )
        assert blank.json() == {
            "message": "[body.name] Too small: expected string to have >=1 characters",
            "code": "VALIDATION_ERROR",
        }
        for path in ("update-passkey", "delete-passkey"):
            unknown = await ada.http.post(
                f"{AUTH}/passkey/{path}", json={"id": "no-such-passkey", "name": "x"}
            )
            assert (unknown.status_code, unknown.json()) == (404, PASSKEY_NOT_FOUND)
        stolen = await bob.http.post(
            f"{AUTH}/passkey/update-passkey", json={"id": passkey["id"], "name": "mine"}
        )
        assert (stolen.status_code, stolen.json()["code"]) == (
            401,
            "YOU_ARE_NOT_ALLOWED_TO_REGISTER_THIS_PASSKEY",
        )
        deleted_by_other = await bob.http.post(
            f"{AUTH}/passkey/delete-passkey", json={"id": passkey["id"]}
        )
        assert (deleted_by_other.status_code, deleted_by_other.content) == (401, b"")
        assert [p["name"] for p in await passkeys_of(ada.http)] == ["work key"]

        deleted = await ada.http.post(f"{AUTH}/passkey/delete-passkey", json={"id": passkey["id"]})
        assert (deleted.status_code, deleted.json()) == (200, {"status": True})
        assert await passkeys_of(ada.http) == []
        # A deleted passkey signs no one in.
        options = await authenticate_options(http)
        answer = await verify_authentication(http, ada.authenticator.get(options))
        assert (answer.status_code, answer.json()) == (401, PASSKEY_NOT_FOUND)


async def test_passkey_events_reach_audit_without_key_material(stack: Stack) -> None:
    async with member(stack) as ada, browser(stack) as http:
        passkey = await register(ada)
        options = await authenticate_options(http)
        assert (await verify_authentication(http, ada.authenticator.get(options))).is_success
        await ada.http.post(f"{AUTH}/passkey/delete-passkey", json={"id": passkey["id"]})
        expected = {
            "auth.mfa.passkey.registered.v1",
            "auth.mfa.passkey.verified.v1",
            "auth.mfa.passkey.deleted.v1",
        }
        types = await eventually(
            lambda: event_types(stack, ada.user["id"]), lambda found: expected <= set(found)
        )
        assert expected <= set(types)
        conn = await asyncpg.connect(stack.database_url("audit"))
        try:
            payloads = await conn.fetch(
                "SELECT payload::text AS payload FROM audit.entries"
                " WHERE user_id = $1 AND type LIKE 'auth.mfa.passkey.%'",
                ada.user["id"],
            )
        finally:
            await conn.close()
        for row in payloads:
            assert passkey["publicKey"] not in row["payload"]
            assert passkey["credentialID"] not in row["payload"]


# --- bad input ------------------------------------------------------------------------------


async def test_challenge_cookies_missing_forged_or_of_the_other_ceremony(stack: Stack) -> None:
    async with member(stack) as ada:
        await register(ada)
        async with browser(stack) as http:
            answer = await verify_authentication(http, {"id": "x"})
            assert (answer.status_code, answer.json()) == (400, CHALLENGE_NOT_FOUND)
            http.cookies.set(
                CHALLENGE_COOKIE, "forged.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
            )
            answer = await verify_authentication(http, {"id": "x"})
            assert (answer.status_code, answer.json()) == (400, CHALLENGE_NOT_FOUND)
        # A registration challenge does not authenticate, nor the other way round.
        options = await register_options(ada.http)
        assertion = ada.authenticator.get({"challenge": options["challenge"], "rpId": RP_ID})
        answer = await verify_authentication(ada.http, assertion)
        assert (answer.status_code, answer.json()) == (400, CHALLENGE_NOT_FOUND)
        options = await authenticate_options(ada.http)
        creation = new_authenticator().create(
            {"challenge": options["challenge"], "user": {"id": "dXNlcg"}, "rp": {"id": RP_ID}}
        )
        answer = await verify_registration(ada.http, creation)
        assert (answer.status_code, answer.json()) == (400, CHALLENGE_NOT_FOUND)


async def test_malformed_bodies_get_better_auths_answers_never_a_500(stack: Stack) -> None:
    async with member(stack) as ada:
        await register(ada)
        invalid: list[tuple[str, Any, dict[str, str]]] = [
            (
                "verify-registration",
                {},
                {
                    "message": "[body.response] Invalid input: expected nonoptional, "
                    "received undefined",
                    "code": "VALIDATION_ERROR",
                },
            ),
            (
                "verify-registration",
                {"response": {}, "name": 5, "createSession": "x"},
                {
                    "message": "[body.name] Invalid input: expected string, received number; "
                    "[body.createSession] Invalid input: expected boolean, received string",
                    "code": "VALIDATION_ERROR",
                },
            ),
            (
                "verify-authentication",
                {"response": "x"},
                {
                    "message": "[body.response] Invalid input: expected record, received string",
                    "code": "VALIDATION_ERROR",
                },
            ),
            (
                "delete-passkey",
                {"id": 5},
                {
                    "message": "[body.id] Invalid input: expected string, received number",
                    "code": "VALIDATION_ERROR",
                },
            ),
        ]
        for path, body, expected in invalid:
            answer = await ada.http.post(f"{AUTH}/passkey/{path}", json=body)
            assert (answer.status_code, answer.json()) == (400, expected), path
        bad_query = await ada.http.get(
            f"{AUTH}/passkey/generate-register-options", params={"authenticatorAttachment": "x"}
        )
        assert bad_query.json() == {
            "message": '[query.authenticatorAttachment] Invalid option: expected one of "platf'
            'orm"|"cross-platform"',
            "code": "VALIDATION_ERROR",
        }

        junk: list[Any] = [
            None,
            "junk",
            [],
            {},
            {"id": 5, "rawId": None, "response": []},
            {"id": "a", "rawId": "a", "response": {"clientDataJSON": "!", "attestationObject": 1}},
            {"id": "a" * 1000, "type": "public-key", "response": {"transports": [1, None]}},
        ]
        for response in junk:
            await register_options(ada.http)
            answer = await verify_registration(ada.http, response)
            assert (answer.status_code, answer.json()) == (400, FAILED_TO_VERIFY), response
        options = await authenticate_options(ada.http)
        genuine = ada.authenticator.get(options)
        forged: list[Any] = [
            {},
            {"id": None},
            {"id": "unknown-credential"},
            genuine | {"response": {"signature": 7}},
            genuine | {"response": genuine["response"] | {"authenticatorData": "AAAA"}},
            genuine | {"response": genuine["response"] | {"signature": "AAAA"}},
            genuine | {"rawId": "AAAA"},
        ]
        for response in forged:
            await authenticate_options(ada.http)
            answer = await verify_authentication(ada.http, response)
            expected_answer = (
                (401, PASSKEY_NOT_FOUND)
                if response.get("id") in (None, "unknown-credential")
                else (400, AUTHENTICATION_FAILED)
            )
            assert (answer.status_code, answer.json()) == expected_answer, response
        huge = {"response": {"id": "a", "padding": "x" * 100_000}}
        answer = await ada.http.post(f"{AUTH}/passkey/verify-authentication", json=huge)
        assert answer.status_code == 413
        not_json = await ada.http.post(
            f"{AUTH}/passkey/verify-authentication",
            content=b"{bad",
            headers={"content-type": "application/json"},
        )
        assert (not_json.status_code, not_json.json()["code"]) == (400, "BAD_REQUEST")


async def test_challenges_are_long_and_never_repeat(stack: Stack) -> None:
    async with browser(stack) as http:
        challenges = [(await authenticate_options(http))["challenge"] for _ in range(40)]
    assert len(set(challenges)) == len(challenges)
    assert all(len(b64url_decode(challenge)) >= 16 for challenge in challenges)


async def test_the_default_does_not_require_user_verification(stack: Stack) -> None:
    """UV "preferred" (Better-Auth's; AUTHMESH_PASSKEY_USER_VERIFICATION=required refuses
    these): a security key without a PIN registers and signs in."""
    async with member(stack, user_verified=False) as ada, browser(stack) as http:
        await register(ada)
        answer = await verify_authentication(
            http, ada.authenticator.get(await authenticate_options(http))
        )
        assert answer.status_code == 200, answer.text


async def test_passkeys_answer_json_bodies_as_the_peer_does(stack: Stack) -> None:
    async with member(stack) as ada:
        passkey = await register(ada)
        assert list(passkey) == [
            "name",
            "publicKey",
            "userId",
            "credentialID",
            "counter",
            "deviceType",
            "backedUp",
            "transports",
            "createdAt",
            "aaguid",
            "id",
        ]
        assert passkey["name"] is None
        assert base64.b64decode(passkey["publicKey"])[:1] == b"\xa5"  # a CBOR map of 5 (COSE)
        assert json.loads(json.dumps(passkey)) == (await passkeys_of(ada.http))[0]


async def test_create_session_signs_the_registering_browser_in_anew(stack: Stack) -> None:
    async with member(stack) as ada:
        old_token = (await ada.http.get(f"{AUTH}/get-session")).json()["session"]["token"]
        options = await register_options(ada.http)
        answer = await verify_registration(
            ada.http, ada.authenticator.create(options), createSession=True
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert list(body)[-3:] == ["id", "session", "user"]
        assert body["session"]["token"] != old_token
        assert body["user"]["id"] == body["userId"] == ada.user["id"]
        assert ada.http.cookies["better-auth.session_token"].startswith(body["session"]["token"])


# --- with the other sign-in rules -----------------------------------------------------------


async def test_a_user_verified_passkey_is_both_factors_even_during_a_lockout(
    stack: Stack,
) -> None:
    """The owner of a locked account still gets in with a passkey that verified them: a
    lockout an attacker causes with wrong codes does not lock the owner out (ASVS 6.1.1)."""
    async with member(stack) as ada, browser(stack) as http:
        await register(ada)
        account = Account(email=ada.user["email"], user_id=ada.user["id"])
        await enroll_totp(ada.http, account)
        for _ in range(2):  # 2 challenges of 5 wrong codes: locked for 15 minutes
            async with challenged(stack, account) as attacker:
                for _ in range(5):
                    wrong = await post(attacker, "/two-factor/verify-totp", {"code": "000000"})
                    assert wrong.status_code == 401, wrong.text
        answer = await verify_authentication(
            http, ada.authenticator.get(await authenticate_options(http))
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["user"]["twoFactorEnabled"] is True
        assert await session_user_id(http) == ada.user["id"]


async def test_a_passkey_without_user_verification_is_one_factor(stack: Stack) -> None:
    """Without the UV flag a passkey proves possession only (NIST SP 800-63B-4: single-factor):
    a user with two-factor still owes the second factor, as after a password."""
    async with member(stack, user_verified=False) as ada, browser(stack) as http:
        await register(ada)
        account = Account(email=ada.user["email"], user_id=ada.user["id"])
        await enroll_totp(ada.http, account)
        answer = await verify_authentication(
            http, ada.authenticator.get(await authenticate_options(http))
        )
        assert (answer.status_code, answer.json()) == (
            200,
            {"twoFactorRedirect": True, "twoFactorMethods": ["totp"]},
        )
        assert "set-auth-token" not in answer.headers
        assert await session_user_id(http) is None
        await wait_for_fresh_step()
        verified = await post(http, "/two-factor/verify-totp", {"code": totp_code(account.secret)})
        assert verified.status_code == 200, verified.text
        assert await session_user_id(http) == ada.user["id"]


async def test_a_banned_user_cannot_sign_in_with_a_passkey(stack: Stack) -> None:
    async with member(stack) as ada, browser(stack) as http:
        await register(ada)
        conn = await asyncpg.connect(stack.database_url("identity"))
        try:
            await conn.execute(
                "UPDATE identity.users SET banned = true WHERE id = $1", ada.user["id"]
            )
        finally:
            await conn.close()
        answer = await verify_authentication(
            http, ada.authenticator.get(await authenticate_options(http))
        )
        assert (answer.status_code, answer.json()["code"]) == (403, "BANNED_USER")
        assert await session_user_id(http) is None


async def test_a_deleted_users_passkeys_go_with_it(stack: Stack) -> None:
    async with member(stack) as ada, browser(stack) as http:
        await register(ada)
        deleted = await ada.http.post(f"{AUTH}/delete-user", json={"password": PASSWORD})
        assert deleted.status_code == 200, deleted.text

        async def passkeys_left() -> int:
            conn = await asyncpg.connect(stack.database_url("mfa"))
            try:
                count: int = await conn.fetchval(
                    "SELECT count(*) FROM mfa.passkeys WHERE user_id = $1", ada.user["id"]
                )
            finally:
                await conn.close()
            return count

        assert await eventually(passkeys_left, lambda left: left == 0) == 0
        answer = await verify_authentication(
            http, ada.authenticator.get(await authenticate_options(http))
        )
        assert (answer.status_code, answer.json()) == (401, PASSKEY_NOT_FOUND)
