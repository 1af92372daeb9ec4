"""Better-Auth's admin plugin through the gateway (api.md §9.9): every /admin/* endpoint with the
Better-Auth 1.7.25 peer's bodies, codes and status, the refusals of callers without a session or
permission, the user listing's allow-list (SQL-like input is data), bans that end every session
at once and hold on every sign-in path, and impersonation there and back.

The test stack seeds an admin (ADMIN_EMAIL / ADMIN_PASSWORD, role "admin").
"""

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import asyncpg
import httpx
import pytest
import pytest_asyncio
from sqlalchemy import event

import authmesh_identity
from authmesh_gateway.wire.cookies import verify_signed_cookie
from authmesh_identity.domain.admin_user_query import ListingRequest, user_query
from authmesh_identity.store.admin_queries import PostgresUserDirectory
from authmesh_kit.db.engine import create_engine
from authmesh_kit.db.migrations import upgrade
from authmesh_kit.errors import DomainError, ErrorKind
from authmesh_kit.stack.backing import DEFAULT_TEST_DATABASE_URL, fresh_database
from authmesh_kit.stack.supervisor import Stack
from authmesh_kit.testing.pytest_plugin import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.accounts import identity_rows
from tests.conftest import browser, unique_email
from tests.mailbox import Mailbox
from tests.responses import answer, cookie_names, error
from tests.waiting import eventually

pytestmark = pytest.mark.integration

AUTH = "/api/auth"
ADMIN = f"{AUTH}/admin"
PASSWORD = "correct horse battery"
BANNED_MESSAGE = (
    "You have been banned from this application. "
    "Please contact support if you believe this is an error."
)
BANNED = {"message": BANNED_MESSAGE, "code": "BANNED_USER"}
USER_NOT_FOUND = {"message": "User not found", "code": "USER_NOT_FOUND"}
EMPTY_PAGE = {"users": [], "total": 0}
TOKEN = "better-auth.session_token"
DATA = "better-auth.session_data"
DONT_REMEMBER = "better-auth.dont_remember"
ADMIN_SESSION = "better-auth.admin_session"
EXPIRED = "=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"


@asynccontextmanager
async def signed_in_admin(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(stack) as http:
        response = await http.post(
            f"{AUTH}/sign-in/email", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        assert response.status_code == 200, response.text
        yield http


@asynccontextmanager
async def signed_up_user(
    stack: Stack, **fields: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Any]]]:
    async with browser(stack) as http:
        body = {"name": "Ada", "email": unique_email(), "password": PASSWORD, **fields}
        response = await http.post(f"{AUTH}/sign-up/email", json=body)
        assert response.status_code == 200, response.text
        yield http, response.json()["user"]


async def session_of(http: httpx.AsyncClient) -> dict[str, Any] | None:
    response = await http.get(f"{AUTH}/get-session")
    assert response.status_code == 200, response.text
    found: dict[str, Any] | None = response.json()
    return found


async def admin_user_id(admin: httpx.AsyncClient) -> str:
    found = await session_of(admin)
    assert found is not None
    return str(found["user"]["id"])


# --- who may call ---------------------------------------------------------------------------

# One valid call of every endpoint that needs an admin session, as (method, path, body/query).
CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/list-users", {}),
    ("GET", "/get-user", {"id": "someone"}),
    ("POST", "/create-user", {"email": "x@example.test", "name": "X"}),
    ("POST", "/update-user", {"userId": "someone", "data": {"name": "X"}}),
    ("POST", "/set-role", {"userId": "someone", "role": "admin"}),
    ("POST", "/set-user-password", {"userId": "someone", "newPassword": PASSWORD}),
    ("POST", "/ban-user", {"userId": "someone"}),
    ("POST", "/unban-user", {"userId": "someone"}),
    ("POST", "/list-user-sessions", {"userId": "someone"}),
    ("POST", "/revoke-user-session", {"sessionToken": "something"}),
    ("POST", "/revoke-user-sessions", {"userId": "someone"}),
    ("POST", "/remove-user", {"userId": "someone"}),
    ("POST", "/impersonate-user", {"userId": "someone"}),
    ("POST", "/has-permission", {"permissions": {"user": ["list"]}}),
]
# What a signed-in user without the admin role gets from each (has-permission answers).
REFUSALS = {
    "/list-users": ("YOU_ARE_NOT_ALLOWED_TO_LIST_USERS", "You are not allowed to list users"),
    "/get-user": ("YOU_ARE_NOT_ALLOWED_TO_GET_USER", "You are not allowed to get user"),
    "/create-user": ("YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS", "You are not allowed to create users"),
    "/update-user": ("YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS", "You are not allowed to update users"),
    "/set-role": (
        "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE",
        "You are not allowed to change users role",
    ),
    "/set-user-password": (
        "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD",
        "You are not allowed to set users password",
    ),
    "/ban-user": ("YOU_ARE_NOT_ALLOWED_TO_BAN_USERS", "You are not allowed to ban users"),
    "/unban-user": ("YOU_ARE_NOT_ALLOWED_TO_BAN_USERS", "You are not allowed to ban users"),
    "/list-user-sessions": (
        "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS",
        "You are not allowed to list users sessions",
    ),
    "/revoke-user-session": (
        "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS",
        "You are not allowed to revoke users sessions",
    ),
    "/revoke-user-sessions": (
        "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS",
        "You are not allowed to revoke users sessions",
    ),
    "/remove-user": ("YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS", "You are not allowed to delete users"),
    "/impersonate-user": (
        "YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS",
        "You are not allowed to impersonate users",
    ),
}


async def call(
    http: httpx.AsyncClient, method: str, path: str, data: dict[str, Any]
) -> httpx.Response:
    if method == "GET":
        return await http.get(f"{ADMIN}{path}", params=data)
    return await http.post(f"{ADMIN}{path}", json=data)


async def test_without_a_session_every_admin_endpoint_answers_401_with_no_body(
    client: httpx.AsyncClient,
) -> None:
    for method, path, data in [*CALLS, ("POST", "/stop-impersonating", {})]:
        response = await call(client, method, path, data)
        assert response.status_code == 401, (path, response.text)
        assert response.content == b"", path
        assert response.headers["content-type"] == "application/json", path


async def test_a_user_without_the_admin_role_gets_better_auths_403s(stack: Stack) -> None:
    async with signed_up_user(stack) as (http, _):
        for method, path, data in CALLS:
            response = await call(http, method, path, data)
            if path == "/has-permission":
                assert answer(response) == (200, {"error": None, "success": False})
                continue
            code, message = REFUSALS[path]
            assert answer(response) == (403, error(code, message)), path
            # Better-Auth read the session authoritatively: the cookie cache is re-set.
            assert DATA in cookie_names(response), path


async def test_validation_comes_before_the_session(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{ADMIN}/ban-user", json={})
    assert answer(response) == (
        400,
        error(
            "VALIDATION_ERROR",
            "[body.userId] Invalid input: expected nonoptional, received undefined",
        ),
    )
    response = await client.post(
        f"{ADMIN}/set-user-password", json={"userId": "", "newPassword": ""}
    )
    assert answer(response) == (
        400,
        error(
            "VALIDATION_ERROR",
            "[body.newPassword] newPassword cannot be empty; [body.userId] userId cannot be empty",
        ),
    )
    response = await client.post(f"{ADMIN}/set-role", json={"userId": "x", "role": [5]})
    assert answer(response) == (400, error("VALIDATION_ERROR", "[body.role] Invalid input"))
    response = await client.post(f"{ADMIN}/ban-user", json={"userId": "x", "banExpiresIn": "5"})
    assert answer(response) == (
        400,
        error(
            "VALIDATION_ERROR",
            "[body.banExpiresIn] Invalid input: expected number, received string",
        ),
    )
    response = await client.get(f"{ADMIN}/get-user")
    assert answer(response) == (
        400,
        error("VALIDATION_ERROR", "[query.id] Invalid input: expected string, received undefined"),
    )
    response = await client.get(f"{ADMIN}/list-users", params={"sortDirection": "sideways"})
    assert answer(response) == (
        400,
        error(
            "VALIDATION_ERROR",
            '[query.sortDirection] Invalid option: expected one of "asc"|"desc"',
        ),
    )
    response = await client.get(f"{ADMIN}/list-users", params={"limit": ["1", "2"]})
    assert answer(response) == (400, error("VALIDATION_ERROR", "[query.limit] Invalid input"))


# --- has-permission -------------------------------------------------------------------------


async def test_has_permission_answers_for_the_sessions_user(stack: Stack) -> None:
    async with signed_in_admin(stack) as admin:
        path = f"{ADMIN}/has-permission"
        for permissions, success in (
            ({"user": ["list"], "session": ["revoke"]}, True),
            ({"user": ["impersonate-admins"]}, False),  # the admin role lacks only this one
            ({"bogus": ["x"]}, False),
            ({"user": []}, False),
            ({}, False),
        ):
            response = await admin.post(path, json={"permissions": permissions})
            assert answer(response) == (200, {"error": None, "success": success}), permissions
        # The body's role and userId serve server-side calls only.
        response = await admin.post(path, json={"permissions": {"user": ["list"]}, "role": "user"})
        assert answer(response) == (200, {"error": None, "success": True})
        response = await admin.post(path, json={"permission": {"user": ["list"]}})
        assert answer(response) == (
            400,
            {"message": "invalid permission check. no permission(s) were passed."},
        )
        both = {"permission": {"user": ["list"]}, "permissions": {"user": ["list"]}}
        response = await admin.post(path, json=both)
        assert answer(response) == (
            400,
            error("VALIDATION_ERROR", "[body] Invalid input: more than one option matched"),
        )
        response = await admin.post(path, json={"role": 5})
        assert answer(response) == (
            400,
            error(
                "VALIDATION_ERROR",
                "[body.role] Invalid input: expected string, received number; [body] Invalid input",
            ),
        )
        response = await admin.post(
            path, content=b"null", headers={"content-type": "application/json"}
        )
        assert answer(response) == (
            400,
            error(
                "VALIDATION_ERROR",
                "[body] Invalid input: expected object, received null; [body] Invalid input",
            ),
        )


# --- list-users -----------------------------------------------------------------------------


async def created(admin: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await admin.post(f"{ADMIN}/create-user", json={"password": PASSWORD, **body})
    assert response.status_code == 200, response.text
    user: dict[str, Any] = response.json()["user"]
    return user


async def listed(admin: httpx.AsyncClient, **query: Any) -> tuple[int, Any]:
    return answer(await admin.get(f"{ADMIN}/list-users", params=query))


def names(page: dict[str, Any]) -> list[str]:
    return [user["name"] for user in page["users"]]


async def test_list_users_searches_filters_sorts_and_pages(stack: Stack) -> None:
    tag = uuid.uuid4().hex[:8]
    async with signed_in_admin(stack) as admin:
        for n in range(3):
            await created(admin, email=f"{tag}-{n}@example.test", name=f"Zed{tag}{n}")
        await created(admin, email=f"other-{tag}@example.test", name=f"Amy{tag}", role="admin")

        status, page = await listed(admin, searchValue=f"Zed{tag}", searchField="name")
        assert status == 200 and names(page) == [f"Zed{tag}{n}" for n in range(3)]
        assert page["total"] == 3 and page.keys() == {"users", "total"}
        # Case-sensitive, as Better-Auth's LIKE.
        assert (await listed(admin, searchValue=f"zed{tag}", searchField="name"))[1] == EMPTY_PAGE
        status, page = await listed(
            admin,
            searchValue=f"Zed{tag}",
            searchField="name",
            searchOperator="starts_with",
            sortBy="name",
            sortDirection="desc",
            limit="2",
            offset="1",
        )
        assert (status, names(page)) == (200, [f"Zed{tag}1", f"Zed{tag}0"])
        assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
        status, page = await listed(
            admin, searchValue=f"-{tag}@example.test", searchOperator="ends_with"
        )
        assert (status, page["total"]) == (200, 1) and names(page) == [f"Amy{tag}"]
        status, page = await listed(admin, searchValue=tag, filterField="role", filterValue="admin")
        assert names(page) == [f"Amy{tag}"]
        status, page = await listed(
            admin,
            searchValue=tag,
            filterField="role",
            filterValue=["admin", "user"],
            filterOperator="in",
        )
        assert page["total"] == 4
        status, page = await listed(admin, filterValue=f"{tag}-1@example.test")  # email eq
        assert names(page) == [f"Zed{tag}1"]
        status, page = await listed(
            admin, searchValue=tag, filterField="banned", filterValue="false"
        )
        assert page["total"] == 4
        # Without a limit Better-Auth sends none back (Authmesh pages by 100 at most).
        status, page = await listed(admin, limit="abc", searchValue=tag)
        assert page.keys() == {"users", "total"}


async def test_list_users_takes_sql_like_input_as_data(stack: Stack) -> None:
    tag = uuid.uuid4().hex[:8]
    async with signed_in_admin(stack) as admin:
        await created(admin, email=f"pct-{tag}@example.test", name=f"100%{tag}")
        await created(admin, email=f"plain-{tag}@example.test", name=f"100x{tag}")
        # `%` and `_` match themselves, not any text.
        assert names((await listed(admin, searchValue=f"100%{tag}", searchField="name"))[1]) == [
            f"100%{tag}"
        ]
        assert (await listed(admin, searchValue=f"100_{tag}", searchField="name"))[1] == EMPTY_PAGE
        for query in (
            {"searchValue": "' OR '1'='1", "searchField": "name"},
            {"searchValue": "%' OR 1=1 --"},
            {"filterField": "email", "filterValue": "x' OR 'a'='a"},
        ):
            assert await listed(admin, **query) == (200, EMPTY_PAGE), query
        # Fields and operators outside the allow-list, and values of the wrong type, match
        # nothing: Better-Auth's answer to a listing its database refuses.
        for query in (
            {"sortBy": "name; DROP TABLE users", "limit": "2"},
            {"sortBy": "bogus"},
            {"filterField": "password", "filterValue": "x"},
            {"filterField": "role", "filterValue": "admin", "filterOperator": "ne"},
            {"filterField": "banned", "filterValue": "maybe"},
            {"filterField": "createdAt", "filterValue": "yesterday", "filterOperator": "gt"},
            {"limit": "-1"},
            {"limit": "1.5"},
            {"offset": "-1", "limit": "1"},
        ):
            assert await listed(admin, **query) == (200, EMPTY_PAGE), query
        rows = await identity_rows(stack, "SELECT count(*) AS n FROM identity.users")
        assert rows[0]["n"] > 0  # nothing was dropped


# --- users ----------------------------------------------------------------------------------


async def test_get_and_create_users(stack: Stack) -> None:
    async with signed_in_admin(stack) as admin:
        email = unique_email()
        response = await admin.post(
            f"{ADMIN}/create-user",
            json={
                "email": email.upper(),
                "password": PASSWORD,
                "name": "Cy",
                "role": ["admin", "user"],
                "data": {"emailVerified": True, "image": "https://img.test/cy.png", "bogus": 1},
            },
        )
        assert response.status_code == 200, response.text
        user = response.json()["user"]
        assert (user["email"], user["role"], user["emailVerified"]) == (email, "admin,user", True)
        assert user["image"] == "https://img.test/cy.png" and user["banned"] is False
        assert answer(await admin.get(f"{ADMIN}/get-user", params={"id": user["id"]})) == (
            200,
            user,
        )
        assert answer(await admin.get(f"{ADMIN}/get-user", params={"id": "nope"})) == (
            404,
            USER_NOT_FOUND,
        )
        async with browser(stack) as fresh:  # the password works
            signed_in = await fresh.post(
                f"{AUTH}/sign-in/email", json={"email": email, "password": PASSWORD}
            )
            assert signed_in.status_code == 200, signed_in.text

        async def refused(body: dict[str, Any]) -> tuple[int, Any]:
            return answer(await admin.post(f"{ADMIN}/create-user", json=body))

        taken = error(
            "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "User already exists. Use another email."
        )
        assert await refused({"email": email, "name": "Cy"}) == (400, taken)
        assert await refused({"email": "bad", "name": "Cy"}) == (
            400,
            error("INVALID_EMAIL", "Invalid email"),
        )
        bad_role = error(
            "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE",
            "You are not allowed to set a non-existent role value",
        )
        for role in ("superuser", " admin", "Admin"):  # role names are exact
            assert await refused({"email": unique_email(), "name": "Cy", "role": role}) == (
                400,
                bad_role,
            )
        assert await refused({"email": unique_email(), "name": "Cy", "data": {"role": 5}}) == (
            400,
            error("INVALID_ROLE_TYPE", "Invalid role type"),
        )
        # Through the password policy, unlike Better-Auth (which checks only the maximum).
        assert await refused({"email": unique_email(), "name": "Cy", "password": "short"}) == (
            400,
            error("PASSWORD_TOO_SHORT", "Password too short"),
        )
        assert await refused({"email": unique_email(), "name": "Cy", "data": {"image": 5}}) == (
            400,
            error(
                "VALIDATION_ERROR",
                "[body.data.image] Invalid input: expected string, received number",
            ),
        )
        no_password = await created(admin, email=unique_email(), name="Di", password="")
        rows = await identity_rows(
            stack,
            "SELECT count(*) AS n FROM identity.accounts WHERE user_id = $1",
            no_password["id"],
        )
        assert rows[0]["n"] == 0  # no credential account


async def test_update_user_checks_fields_as_better_auth_does(stack: Stack) -> None:
    async with signed_in_admin(stack) as admin, signed_up_user(stack) as (http, user):
        me = await admin_user_id(admin)
        path = f"{ADMIN}/update-user"

        async def update(user_id: str, data: Any) -> tuple[int, Any]:
            return answer(await admin.post(path, json={"userId": user_id, "data": data}))

        assert await update(user["id"], {}) == (
            400,
            error("NO_DATA_TO_UPDATE", "No data to update"),
        )
        assert await update(user["id"], {"password": "x", "id": "y"}) == (
            400,
            error(
                "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER",
                "Password cannot be updated through update-user. "
                "Use the set-user-password endpoint instead",
            ),
        )
        assert await update(user["id"], {"id": "y"}) == (
            400,
            error("USER_ID_CANNOT_BE_UPDATED", "User id cannot be updated"),
        )
        assert await update(me, {"banned": True}) == (
            400,
            error("YOU_CANNOT_BAN_YOURSELF", "You cannot ban yourself"),
        )
        assert await update(user["id"], {"email": ADMIN_EMAIL}) == (
            400,
            error(
                "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "User already exists. Use another email."
            ),
        )
        assert await update("nope", {"name": "X"}) == (404, USER_NOT_FOUND)
        assert await update(user["id"], {"name": None}) == (
            400,
            error(
                "VALIDATION_ERROR", "[body.data.name] Invalid input: expected string, received null"
            ),
        )
        new_email = unique_email()
        status, updated = await update(
            user["id"],
            {"name": "Renamed", "email": new_email.upper(), "emailVerified": True, "role": "admin"},
        )
        assert status == 200 and updated["id"] == user["id"]  # the user itself, not {user}
        assert (updated["name"], updated["email"], updated["emailVerified"], updated["role"]) == (
            "Renamed",
            new_email,
            True,
            "admin",
        )
        # The user's own get-session shows the change at once.
        found = await session_of(http)
        assert found is not None and found["user"]["name"] == "Renamed"
        # banned: true ends the user's sessions, as ban-user does.
        status, banned = await update(user["id"], {"banned": True, "banReason": "spam"})
        assert (status, banned["banned"], banned["banReason"]) == (200, True, "spam")
        assert await session_of(http) is None


async def test_set_role_validates_role_names_exactly(stack: Stack) -> None:
    async with signed_in_admin(stack) as admin, signed_up_user(stack) as (http, user):
        path = f"{ADMIN}/set-role"
        response = await admin.post(path, json={"userId": user["id"], "role": "admin"})
        assert response.status_code == 200 and response.json()["user"]["role"] == "admin"
        found = await session_of(http)  # the cached session shows the new role at once
        assert found is not None and found["user"]["role"] == "admin"
        response = await admin.post(path, json={"userId": user["id"], "role": ["user", "admin"]})
        assert response.json()["user"]["role"] == "user,admin"
        bad_role = error(
            "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE",
            "You are not allowed to set a non-existent role value",
        )
        for role in (" admin", "admin ", "root", [], ["admin", "x"]):
            assert answer(await admin.post(path, json={"userId": user["id"], "role": role})) == (
                400,
                bad_role,
            ), role
        assert answer(await admin.post(path, json={"userId": "nope", "role": "user"})) == (
            404,
            USER_NOT_FOUND,
        )


async def test_set_user_password(stack: Stack, mail: Mailbox) -> None:
    new_password = "staple battery horse"
    async with signed_in_admin(stack) as admin, signed_up_user(stack) as (http, user):
        path = f"{ADMIN}/set-user-password"
        response = await admin.post(path, json={"userId": user["id"], "newPassword": "short"})
        assert answer(response) == (400, error("PASSWORD_TOO_SHORT", "Password too short"))
        response = await admin.post(path, json={"userId": "nope", "newPassword": new_password})
        assert answer(response) == (404, USER_NOT_FOUND)
        response = await admin.post(path, json={"userId": user["id"], "newPassword": new_password})
        assert answer(response) == (200, {"status": True})
        await mail.next(user["email"], "password-changed")
        assert await session_of(http) is not None  # Better-Auth keeps the sessions
        async with browser(stack) as fresh:
            for password, status in ((PASSWORD, 401), (new_password, 200)):
                signed_in = await fresh.post(
                    f"{AUTH}/sign-in/email", json={"email": user["email"], "password": password}
                )
                assert signed_in.status_code == status


async def test_remove_user_deletes_the_user_and_its_sessions(stack: Stack) -> None:
    async with signed_in_admin(stack) as admin, signed_up_user(stack) as (http, user):
        me = await admin_user_id(admin)
        path = f"{ADMIN}/remove-user"
        assert answer(await admin.post(path, json={"userId": me})) == (
            400,
            error("YOU_CANNOT_REMOVE_YOURSELF", "You cannot remove yourself"),
        )
        assert answer(await admin.post(path, json={"userId": "nope"})) == (404, USER_NOT_FOUND)
        assert answer(await admin.post(path, json={"userId": user["id"]})) == (
            200,
            {"success": True},
        )
        assert await session_of(http) is None
        assert answer(await admin.get(f"{ADMIN}/get-user", params={"id": user["id"]})) == (
            404,
            USER_NOT_FOUND,
        )
        assert (
            await identity_rows(stack, "SELECT 1 FROM identity.users WHERE id = $1", user["id"])
            == []
        )


# --- sessions -------------------------------------------------------------------------------


async def test_list_and_revoke_a_users_sessions(stack: Stack) -> None:
    async with (
        signed_in_admin(stack) as admin,
        signed_up_user(stack) as (first, user),
        browser(stack) as second,
    ):
        signed_in = await second.post(
            f"{AUTH}/sign-in/email", json={"email": user["email"], "password": PASSWORD}
        )
        second_token = signed_in.json()["token"]
        path = f"{ADMIN}/list-user-sessions"
        status, body = answer(await admin.post(path, json={"userId": user["id"]}))
        assert status == 200 and len(body["sessions"]) == 2
        ids = {session["id"] for session in body["sessions"]}
        # Tokens are never handed out: each session shows its id in the token's place.
        assert {session["token"] for session in body["sessions"]} == ids
        assert second_token not in ids
        assert answer(await admin.post(path, json={"userId": "nope"})) == (
            200,
            {"sessions": []},
        )

        first_session = await session_of(first)
        assert first_session is not None
        revoke = f"{ADMIN}/revoke-user-session"
        # By the id a listing shows, or by the token; none by that name is no error.
        response = await admin.post(revoke, json={"sessionToken": first_session["session"]["id"]})
        assert answer(response) == (200, {"success": True})
        assert await session_of(first) is None
        assert await session_of(second) is not None
        response = await admin.post(revoke, json={"sessionToken": second_token})
        assert answer(response) == (200, {"success": True})
        assert await session_of(second) is None
        response = await admin.post(revoke, json={"sessionToken": "nope"})
        assert answer(response) == (200, {"success": True})


async def test_revoke_user_sessions_ends_them_all(stack: Stack) -> None:
    async with signed_in_admin(stack) as admin, signed_up_user(stack) as (http, user):
        assert await session_of(http) is not None  # now cached by the gateway
        response = await admin.post(f"{ADMIN}/revoke-user-sessions", json={"userId": user["id"]})
        assert answer(response) == (200, {"success": True})
        assert await session_of(http) is None


# --- bans -----------------------------------------------------------------------------------


async def ban(admin: httpx.AsyncClient, user_id: str, **extra: Any) -> dict[str, Any]:
    response = await admin.post(f"{ADMIN}/ban-user", json={"userId": user_id, **extra})
    assert response.status_code == 200, response.text
    user: dict[str, Any] = response.json()["user"]
    return user


async def test_a_ban_ends_every_session_at_once(stack: Stack) -> None:
    async with (
        signed_in_admin(stack) as admin,
        signed_up_user(stack) as (first, user),
        browser(stack) as second,
    ):
        await second.post(
            f"{AUTH}/sign-in/email", json={"email": user["email"], "password": PASSWORD}
        )
        for http in (first, second):  # cached on the gateway, and a cookie cache each
            assert await session_of(http) is not None
        banned = await ban(admin, user["id"], banReason="spam", banExpiresIn=3600)
        assert (banned["banned"], banned["banReason"]) == (True, "spam")
        assert banned["banExpires"] is not None
        for http in (first, second):  # refused at once, cache or no cache
            assert await session_of(http) is None
            response = await http.get(f"{AUTH}/list-sessions")
            assert response.status_code == 401


async def test_a_ban_holds_on_every_sign_in_path(stack: Stack, mail: Mailbox) -> None:
    async with (
        signed_in_admin(stack) as admin,
        signed_up_user(stack, username=f"ban{uuid.uuid4().hex[:8]}") as (_, user),
    ):
        phone = "+1555" + str(int(time.time() * 1000))[-7:]
        # Verified, so that proving the address by code or link keeps the password.
        verified = {"emailVerified": True, "phoneNumber": phone, "phoneNumberVerified": True}
        response = await admin.post(
            f"{ADMIN}/update-user", json={"userId": user["id"], "data": verified}
        )
        assert response.status_code == 200, response.text
        banned = await ban(admin, user["id"])
        assert (banned["banReason"], banned["banExpires"]) == ("No reason", None)
        async with browser(stack) as http:
            for path, body in (
                ("/sign-in/email", {"email": user["email"], "password": PASSWORD}),
                ("/sign-in/username", {"username": user["username"], "password": PASSWORD}),
                ("/sign-in/phone-number", {"phoneNumber": phone, "password": PASSWORD}),
            ):
                assert answer(await http.post(f"{AUTH}{path}", json=body)) == (403, BANNED), path
            # A wrong password is still only a wrong password.
            wrong = await http.post(
                f"{AUTH}/sign-in/email", json={"email": user["email"], "password": "not the one"}
            )
            assert wrong.status_code == 401
        async with browser(stack) as http:
            sent = await http.post(
                f"{AUTH}/email-otp/send-verification-otp",
                json={"email": user["email"], "type": "sign-in"},
            )
            assert sent.status_code == 200, sent.text
            otp = (await mail.next(user["email"], "email-otp")).fields["otp"]
            response = await http.post(
                f"{AUTH}/sign-in/email-otp", json={"email": user["email"], "otp": otp}
            )
            assert answer(response) == (403, BANNED)
        async with browser(stack) as http:
            sent = await http.post(f"{AUTH}/sign-in/magic-link", json={"email": user["email"]})
            assert sent.status_code == 200, sent.text
            token = (await mail.next(user["email"], "magic-link")).fields["token"]
            response = await http.get(f"{AUTH}/magic-link/verify", params={"token": token})
            assert answer(response) == (403, BANNED)
            assert await session_of(http) is None
        response = await admin.post(f"{ADMIN}/unban-user", json={"userId": user["id"]})
        assert answer(response)[0] == 200
        assert {
            key: response.json()["user"][key] for key in ("banned", "banReason", "banExpires")
        } == {
            "banned": False,
            "banReason": None,
            "banExpires": None,
        }
        async with browser(stack) as http:
            response = await http.post(
                f"{AUTH}/sign-in/email", json={"email": user["email"], "password": PASSWORD}
            )
            assert response.status_code == 200, response.text


async def test_a_lapsed_ban_lifts_itself(stack: Stack) -> None:
    async with signed_in_admin(stack) as admin, signed_up_user(stack) as (_, user):
        await ban(admin, user["id"], banExpiresIn=1)
        await asyncio.sleep(1.2)
        async with browser(stack) as http:
            response = await http.post(
                f"{AUTH}/sign-in/email", json={"email": user["email"], "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            assert response.json()["user"]["banned"] is False
        response = await admin.get(f"{ADMIN}/get-user", params={"id": user["id"]})
        assert (response.json()["banned"], response.json()["banExpires"]) == (False, None)


async def test_ban_refusals(stack: Stack) -> None:
    async with signed_in_admin(stack) as admin:
        me = await admin_user_id(admin)
        path = f"{ADMIN}/ban-user"
        assert answer(await admin.post(path, json={"userId": me})) == (
            400,
            error("YOU_CANNOT_BAN_YOURSELF", "You cannot ban yourself"),
        )
        assert answer(await admin.post(path, json={"userId": "nope"})) == (404, USER_NOT_FOUND)
        assert answer(await admin.post(path, json={"userId": 5})) == (404, USER_NOT_FOUND)
        assert answer(await admin.post(f"{ADMIN}/unban-user", json={"userId": "nope"})) == (
            404,
            USER_NOT_FOUND,
        )
        async with signed_up_user(stack) as (_, user):
            response = await admin.post(path, json={"userId": user["id"], "banExpiresIn": 1e300})
            assert answer(response) == (
                400,
                error(
                    "VALIDATION_ERROR",
                    "[body.banExpiresIn] Too big: expected number to be <=3153600000",
                ),
            )


# --- impersonation --------------------------------------------------------------------------


async def test_impersonation_there_and_back(stack: Stack) -> None:
    async with signed_in_admin(stack) as admin, signed_up_user(stack) as (http, user):
        me = await admin_user_id(admin)
        admin_token = (await session_of(admin) or {})["session"]["token"]
        response = await admin.post(f"{ADMIN}/impersonate-user", json={"userId": user["id"]})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["user"]["id"] == user["id"]
        session = body["session"]
        assert (session["userId"], session["impersonatedBy"]) == (user["id"], me)
        lifetime = time.mktime(
            time.strptime(session["expiresAt"][:19], "%Y-%m-%dT%H:%M:%S")
        ) - time.mktime(time.strptime(session["createdAt"][:19], "%Y-%m-%dT%H:%M:%S"))
        assert lifetime == 3600
        lines = response.headers.get_list("set-cookie")
        assert [line.split("=", 1)[0] for line in lines] == [
            TOKEN,
            DATA,
            DATA,
            DONT_REMEMBER,
            ADMIN_SESSION,
            TOKEN,
            DONT_REMEMBER,
            DATA,
        ]
        assert lines[:4] == [
            f"{TOKEN}{EXPIRED}",
            f"{DATA}{EXPIRED}",
            f"{DATA}{EXPIRED}",
            f"{DONT_REMEMBER}{EXPIRED}",
        ]
        assert "Max-Age" not in lines[5] and "Max-Age" not in lines[7]  # dont_remember semantics
        kept = lines[4].split(";")[0].split("=", 1)[1]
        assert verify_signed_cookie(kept, [stack.plan.spec.secret]) == f"{admin_token}:"
        assert response.headers["set-auth-token"].startswith(session["token"] + ".")

        # Now the admin browses as the user; impersonation shows in the session.
        found = await session_of(admin)
        assert found is not None and found["user"]["id"] == user["id"]
        assert found["session"]["impersonatedBy"] == me
        # The user's list-sessions does not show it (Better-Auth's admin plugin hides it).
        listed = (await http.get(f"{AUTH}/list-sessions")).json()
        assert [entry["impersonatedBy"] for entry in listed] == [None]
        # Nor does the impersonated session reach admin endpoints.
        response = await admin.get(f"{ADMIN}/list-users")
        assert response.status_code == 403

        response = await admin.post(f"{ADMIN}/stop-impersonating")
        assert response.status_code == 200, response.text
        assert response.json()["user"]["id"] == me
        assert response.json()["session"]["token"] == admin_token
        assert cookie_names(response) == [TOKEN, DONT_REMEMBER, DATA, ADMIN_SESSION]
        assert response.headers.get_list("set-cookie")[-1] == f"{ADMIN_SESSION}{EXPIRED}"
        found = await session_of(admin)
        assert found is not None and found["user"]["id"] == me
        # The impersonation session is gone.
        assert await admin_sessions_of(admin, user["id"]) == []
        response = await admin.post(f"{ADMIN}/stop-impersonating")
        assert answer(response) == (400, {"message": "You are not impersonating anyone"})


async def admin_sessions_of(admin: httpx.AsyncClient, user_id: str) -> list[str]:
    response = await admin.post(f"{ADMIN}/list-user-sessions", json={"userId": user_id})
    return [entry["id"] for entry in response.json()["sessions"] if entry["impersonatedBy"]]


async def test_impersonation_reaches_audit(stack: Stack) -> None:
    async with signed_in_admin(stack) as admin, signed_up_user(stack) as (_, user):
        me = await admin_user_id(admin)
        response = await admin.post(f"{ADMIN}/impersonate-user", json={"userId": user["id"]})
        session_id = response.json()["session"]["id"]

        async def entries() -> list[asyncpg.Record]:
            conn = await asyncpg.connect(stack.database_url("audit"))
            try:
                return list(
                    await conn.fetch(
                        "SELECT type, actor_kind, actor_user_id, payload::text AS payload"
                        " FROM audit.entries WHERE session_id = $1",
                        session_id,
                    )
                )
            finally:
                await conn.close()

        found = await eventually(entries, lambda rows: len(rows) >= 2)
        types = {row["type"]: row for row in found}
        started = types["auth.session.impersonation.started.v1"]
        assert (started["actor_kind"], started["actor_user_id"]) == ("ACTOR_KIND_ADMIN", me)
        assert me in started["payload"] and user["id"] in started["payload"]
        created = types["auth.session.session.created.v1"]
        assert '"impersonation"' in created["payload"]


async def test_admins_are_not_impersonated_and_banned_users_neither(stack: Stack) -> None:
    async with signed_in_admin(stack) as admin:
        path = f"{ADMIN}/impersonate-user"
        other_admin = await created(admin, email=unique_email(), name="Ed", role="admin")
        assert answer(await admin.post(path, json={"userId": other_admin["id"]})) == (
            403,
            error("YOU_CANNOT_IMPERSONATE_ADMINS", "You cannot impersonate admins"),
        )
        me = await admin_user_id(admin)
        assert answer(await admin.post(path, json={"userId": me}))[0] == 403
        assert answer(await admin.post(path, json={"userId": "nope"})) == (404, USER_NOT_FOUND)
        async with signed_up_user(stack) as (_, user):
            await ban(admin, user["id"])
            assert answer(await admin.post(path, json={"userId": user["id"]})) == (403, BANNED)
        found = await session_of(admin)  # still the admin
        assert found is not None and found["user"]["id"] == me


async def test_stop_impersonating_needs_the_admin_session_cookie(stack: Stack) -> None:
    async with signed_in_admin(stack) as admin, signed_up_user(stack) as (_, user):
        await admin.post(f"{ADMIN}/impersonate-user", json={"userId": user["id"]})
        admin.cookies.delete(ADMIN_SESSION)
        response = await admin.post(f"{ADMIN}/stop-impersonating")
        assert answer(response) == (500, {"message": "Failed to find admin session"})
        # A forged one does no better.
        token = unquote(admin.cookies[TOKEN]).rsplit(".", 1)[0]
        admin.cookies.set(ADMIN_SESSION, f"{token}:.{hashlib.sha256(b'x').hexdigest()}")
        response = await admin.post(f"{ADMIN}/stop-impersonating")
        assert answer(response) == (500, {"message": "Failed to find admin session"})


# --- the listing on a database of its own ----------------------------------------------------

SEEDED_USERS = 100_000


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def listing_database() -> AsyncIterator[str]:
    """Identity's schema at head with 100k users (one in a hundred an admin, one in a thousand
    banned), seeded in one statement and analyzed, so that plans are those of a real table."""
    async with fresh_database(DEFAULT_TEST_DATABASE_URL, prefix="authmesh_admin_listing") as url:
        migrations = Path(authmesh_identity.__file__).parent / "store" / "migrations"
        await asyncio.to_thread(upgrade, migrations, url)
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(
                """
                INSERT INTO identity.users (id, name, email, role, banned, created_at)
                SELECT 'u' || n, 'User ' || n, 'user-' || n || '@example.test',
                       CASE WHEN n % 100 = 0 THEN 'admin' ELSE 'user' END,
                       n % 1000 = 0, now() - n * interval '1 second'
                FROM generate_series(1, $1::int) AS n
                """,
                SEEDED_USERS,
            )
            await conn.execute("ANALYZE identity.users")
        finally:
            await conn.close()
        yield url


# Every shape of listing the allow-list serves, and whether it may read the whole table.
LISTINGS: list[tuple[ListingRequest, bool]] = [
    (ListingRequest(), False),
    (ListingRequest(sort_by="name", descending=True, limit=10, offset=50), False),
    (ListingRequest(sort_by="email"), False),
    (ListingRequest(search_value="user-42", search_operator="starts_with"), False),
    (
        ListingRequest(search_value="User 42", search_field="name", search_operator="starts_with"),
        False,
    ),
    (ListingRequest(filter_field="role", filter_values=["admin"], sort_by="createdAt"), False),
    (
        ListingRequest(filter_field="role", filter_operator="in", filter_values=["admin", "x"]),
        False,
    ),
    (ListingRequest(filter_field="banned", filter_values=["true"]), False),
    (ListingRequest(filter_field="id", filter_operator="in", filter_values=["u1", "u2"]), False),
    (ListingRequest(filter_values=["user-7@example.test"]), False),
    (
        ListingRequest(
            filter_field="createdAt",
            filter_operator="gte",
            filter_values=[(datetime.now(UTC) - timedelta(minutes=5)).isoformat()],
        ),
        False,
    ),
    (ListingRequest(filter_field="username", filter_values=["ada"]), False),
    (ListingRequest(search_value="42@", search_operator="contains"), True),
    (ListingRequest(search_value="9", search_field="name", search_operator="ends_with"), True),
]


def plan_nodes(plan_json: str) -> Iterator[dict[str, Any]]:
    pending = [json.loads(plan_json)[0]["Plan"]]
    while pending:
        node = pending.pop()
        yield node
        pending += node.get("Plans", [])


def seq_scans(*plans: str) -> set[str]:
    """The tables the EXPLAIN (FORMAT JSON) plans read sequentially."""
    return {
        node["Relation Name"]
        for plan in plans
        for node in plan_nodes(plan)
        if node["Node Type"] == "Seq Scan"
    }


def relations(plan: str) -> set[str]:
    return {node["Relation Name"] for node in plan_nodes(plan) if "Relation Name" in node}


async def test_every_listing_but_substring_search_is_served_by_an_index(
    listing_database: str,
) -> None:
    engine = create_engine(listing_database, "identity")
    sent: list[tuple[str, tuple[Any, ...]]] = []

    def record(_c: Any, _cur: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "set_config" not in statement:
            sent.append((statement, tuple(parameters)))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    directory = PostgresUserDirectory(engine, timeout_ms=10_000)
    conn = await asyncpg.connect(listing_database)
    try:
        await conn.execute("SET enable_seqscan = off")  # what could serve it, not what is cheap
        for request, scans in LISTINGS:
            query = user_query(request)
            assert query is not None, request
            assert query.searches_substrings is scans
            sent.clear()
            page = await directory.list_users(query)
            assert page.total > 0 or request.filter_field in ("username", "id"), request
            plans = [
                await conn.fetchval(f"EXPLAIN (FORMAT JSON) {statement}", *parameters)
                for statement, parameters in sent
            ]
            assert len(plans) == 2, request  # the page and its total
            if not scans:  # substring search may read the whole table: the timeout bounds it
                assert "users" not in seq_scans(*plans), (request, plans)
            if not request.search_value and request.filter_field is None:
                # Better-Auth's `total` of every user: the counts of migration 0008, no count(*).
                assert "users" not in relations(plans[1]), plans[1]
    finally:
        await conn.close()
        await engine.dispose()


async def test_substring_search_stops_at_the_statement_timeout(listing_database: str) -> None:
    engine = create_engine(listing_database, "identity")
    try:
        query = user_query(ListingRequest(search_value="no-such-text", search_field="name"))
        assert query is not None
        with pytest.raises(DomainError) as stopped:
            await PostgresUserDirectory(engine, timeout_ms=1).list_users(query)
        assert (stopped.value.kind, stopped.value.reason) == (
            ErrorKind.DEADLINE_EXCEEDED,
            "SEARCH_TIMEOUT",
        )
        # The same search with time enough: no match, and the connection is fine afterwards.
        page = await PostgresUserDirectory(engine, timeout_ms=10_000).list_users(query)
        assert (page.users, page.total) == ([], 0)
    finally:
        await engine.dispose()


async def test_an_admin_who_is_not_remembered_comes_back_not_remembered(stack: Stack) -> None:
    async with browser(stack) as admin, signed_up_user(stack) as (_, user):
        signed_in = await admin.post(
            f"{AUTH}/sign-in/email",
            json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "rememberMe": False},
        )
        assert signed_in.status_code == 200, signed_in.text
        admin_token = signed_in.json()["token"]
        response = await admin.post(f"{ADMIN}/impersonate-user", json={"userId": user["id"]})
        assert response.status_code == 200, response.text
        kept = admin.cookies[ADMIN_SESSION]
        assert verify_signed_cookie(kept, [stack.plan.spec.secret]) == f"{admin_token}:true"
        response = await admin.post(f"{ADMIN}/stop-impersonating")
        assert response.status_code == 200, response.text
        lines = response.headers.get_list("set-cookie")
        assert [line.split("=", 1)[0] for line in lines] == [
            TOKEN,
            DONT_REMEMBER,
            DATA,
            ADMIN_SESSION,
        ]
        assert "Max-Age" not in lines[0] and "Max-Age" not in lines[1]  # a browser session again
        found = await session_of(admin)
        assert found is not None and found["session"]["token"] == admin_token
