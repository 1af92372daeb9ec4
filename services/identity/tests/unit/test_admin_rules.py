"""The admin plugin's pure rules: Better-Auth 1.7.25's access control (roles, statements,
adminUserIds), exact role names, the user listing's allow-list, what an admin may set on a
user and in which order it is checked, ban ends, and search patterns as data."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from authmesh_identity.domain.admin_permissions import (
    AdminPolicy,
    has_permission,
    is_admin,
    role_string,
)
from authmesh_identity.domain.admin_user_changes import creation_changes, update_changes
from authmesh_identity.domain.admin_user_query import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Condition,
    ListingRequest,
    Operator,
    user_query,
)
from authmesh_identity.domain.model import User
from authmesh_identity.domain.use_cases.admin_bans import MAX_BAN_SECONDS, ban_expiry
from authmesh_identity.settings import IdentitySettings
from authmesh_identity.store.admin_queries import like_pattern
from authmesh_kit.crypto.key_ring import new_key_ring_spec
from authmesh_kit.errors import DomainError, ErrorKind

NOW = datetime.now(UTC)
POLICY = AdminPolicy()


def user(role: str = "user", user_id: str = "u1") -> User:
    return User(
        id=user_id,
        name="Ada",
        email="ada@example.test",
        email_verified=True,
        image=None,
        created_at=NOW,
        updated_at=NOW,
        role=role,
    )


ADMIN = user("admin", "a1")


def reason_of(error: pytest.ExceptionInfo[DomainError]) -> tuple[ErrorKind, str]:
    return error.value.kind, error.value.reason


# --- permissions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "permissions", "allowed"),
    [
        ("admin", [("user", ["list", "ban"]), ("session", ["revoke"])], True),
        ("admin", [("user", ["impersonate-admins"])], False),  # the one thing admins lack
        ("admin", [("user", ["list"]), ("bogus", ["x"])], False),  # unknown resource: AND fails
        ("admin", [("user", [])], False),  # no action authorizes nothing
        ("admin", [], False),
        ("user", [("user", ["get"])], False),
        ("user,admin", [("user", ["delete"])], True),  # any role may grant it
        ("", [("user", ["list"])], False),  # no role: the default role, "user"
        (" admin", [("user", ["list"])], False),  # not a role
        ("Admin", [("user", ["list"])], False),
    ],
)
def test_roles_grant_what_better_auths_statements_say(
    role: str, permissions: list[tuple[str, list[str]]], allowed: bool
) -> None:
    assert has_permission(user(role), permissions, POLICY) is allowed


def test_admin_user_ids_may_do_anything_and_unknown_users_nothing() -> None:
    policy = AdminPolicy(admin_user_ids=frozenset({"u1"}))
    assert has_permission(user("user"), [("user", ["impersonate-admins"])], policy)
    assert has_permission(user("user"), [("bogus", ["x"])], policy)  # as Better-Auth: anything
    assert not has_permission(None, [("user", ["list"])], policy)


def test_who_counts_as_an_admin_for_impersonation() -> None:
    assert is_admin(user("admin"), POLICY)
    assert is_admin(user("user,admin"), POLICY)
    assert not is_admin(user("user"), POLICY)
    assert not is_admin(user(" admin"), POLICY)
    assert is_admin(user("user"), AdminPolicy(admin_user_ids=frozenset({"u1"})))


def test_role_names_are_exact_known_and_joined() -> None:
    assert role_string(["admin"]) == "admin"
    assert role_string(["user", "admin", "user"]) == "user,admin"
    for names in ([" admin"], ["admin "], ["root"], [], ["admin", ""]):
        with pytest.raises(DomainError) as refused:
            role_string(names)
        assert reason_of(refused) == (
            ErrorKind.INVALID_ARGUMENT,
            "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE",
        )
    with pytest.raises(DomainError) as refused:
        role_string([5])
    assert refused.value.reason == "INVALID_ROLE_TYPE"


def test_settings_read_the_admin_options_and_refuse_unknown_admin_roles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "AUTHMESH_IDENTITY_DATABASE_URL": "postgresql://identity@localhost/authmesh",
        "AUTHMESH_SERVICE_KEY": "key",
        "AUTHMESH_SERVICE_PUBLIC_KEYS": "",
        "AUTHMESH_ENCRYPTION_KEYS": new_key_ring_spec(),
        "AUTHMESH_BASE_URL": "https://auth.example.com",
        "AUTHMESH_ADMIN_USER_IDS": " a, b ,",
    }.items():
        monkeypatch.setenv(name, value)
    policy = IdentitySettings().admin_policy()
    assert policy.admin_user_ids == frozenset({"a", "b"})
    assert policy.admin_roles == frozenset({"admin"})
    assert policy.banned_user_message == AdminPolicy.banned_user_message
    monkeypatch.setenv("AUTHMESH_ADMIN_ROLES", "admin,owner")  # Better-Auth throws at start too
    with pytest.raises(ValidationError, match="do not exist"):
        IdentitySettings()


# --- the user listing -----------------------------------------------------------------------


def test_a_listing_defaults_as_better_auth_and_pages_stably() -> None:
    query = user_query(ListingRequest())
    assert query is not None
    assert (query.conditions, query.order_by, query.descending) == ((), ("created_at", "id"), False)
    assert (query.limit, query.offset) == (DEFAULT_PAGE_SIZE, 0)
    query = user_query(ListingRequest(search_value="ada", limit=5000, offset=20))
    assert query is not None
    assert query.conditions == (Condition("email", Operator.CONTAINS, ("ada",)),)
    assert query.searches_substrings
    assert (query.limit, query.offset) == (MAX_PAGE_SIZE, 20)
    query = user_query(ListingRequest(filter_field="", filter_values=["a@b.test"]))
    assert query is not None and query.conditions == (
        Condition("email", Operator.EQ, ("a@b.test",)),
    )
    assert not query.searches_substrings


def test_sorts_break_ties_by_id_unless_unique() -> None:
    by_name = user_query(ListingRequest(sort_by="name", descending=True))
    by_email = user_query(ListingRequest(sort_by="email"))
    assert by_name is not None and by_name.order_by == ("name", "id") and by_name.descending
    assert by_email is not None and by_email.order_by == ("email",)


def test_filter_values_are_read_as_their_fields_type() -> None:
    banned = user_query(ListingRequest(filter_field="banned", filter_values=["true"]))
    assert banned is not None and banned.conditions[0].values == (True,)
    since = user_query(
        ListingRequest(
            filter_field="createdAt", filter_operator="gte", filter_values=["2026-01-02"]
        )
    )
    assert since is not None
    assert since.conditions[0].values == (datetime(2026, 1, 2, tzinfo=UTC),)
    roles = user_query(
        ListingRequest(filter_field="role", filter_operator="in", filter_values=["admin", "user"])
    )
    assert roles is not None and roles.conditions[0].values == ("admin", "user")


@pytest.mark.parametrize(
    "request_",
    [
        ListingRequest(search_value="x", search_field="password"),
        ListingRequest(search_value="x", search_operator="eq"),
        ListingRequest(filter_field="password", filter_values=["x"]),
        ListingRequest(filter_field="role", filter_operator="ne", filter_values=["admin"]),
        ListingRequest(filter_field="role", filter_operator="not_in", filter_values=["admin"]),
        ListingRequest(filter_field="email", filter_operator="like", filter_values=["%"]),
        ListingRequest(filter_field="role", filter_values=["admin", "user"]),  # eq takes one
        ListingRequest(filter_field="banned", filter_values=["maybe"]),
        ListingRequest(filter_field="createdAt", filter_operator="gt", filter_values=["soon"]),
        ListingRequest(filter_field="role", filter_operator="lt", filter_values=["b"]),
        ListingRequest(sort_by="name; DROP TABLE users"),
        ListingRequest(sort_by="role"),  # no index sorts by it
        ListingRequest(limit=-1),
        ListingRequest(offset=-1),
    ],
)
def test_what_the_allow_list_does_not_serve_matches_nothing(request_: ListingRequest) -> None:
    assert user_query(request_) is None


def test_search_patterns_escape_like_wildcards() -> None:
    assert like_pattern(Operator.CONTAINS, "100%_x") == "%100\\%\\_x%"
    assert like_pattern(Operator.STARTS_WITH, "a\\b") == "a\\\\b%"
    assert like_pattern(Operator.ENDS_WITH, "' OR 1=1 --") == "%' OR 1=1 --"


# --- what an admin sets on a user ------------------------------------------------------------


def test_update_checks_go_in_better_auths_order() -> None:
    def refusal(admin: User | None, user_id: str, data: dict[str, Any]) -> str:
        with pytest.raises(DomainError) as refused:
            update_changes(admin, user_id, data, POLICY)
        return refused.value.reason

    # The permission comes first, whatever the data.
    assert refusal(user("user"), "u9", {"password": "x"}) == "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS"
    assert refusal(None, "u9", {"name": "x"}) == "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS"
    assert refusal(ADMIN, "u9", {}) == "NO_DATA_TO_UPDATE"
    assert refusal(ADMIN, "u9", {"id": "y", "password": "x"}) == (
        "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER"
    )
    assert refusal(ADMIN, "u9", {"id": "y"}) == "USER_ID_CANNOT_BE_UPDATED"
    assert refusal(ADMIN, "u9", {"role": 5}) == "INVALID_ROLE_TYPE"
    assert (
        refusal(ADMIN, "u9", {"role": "owner"}) == "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE"
    )
    assert refusal(ADMIN, "a1", {"banned": True}) == "YOU_CANNOT_BAN_YOURSELF"
    assert refusal(ADMIN, "u9", {"email": "not-an-address"}) == "INVALID_EMAIL"
    assert refusal(ADMIN, "u9", {"email": 5}) == "INVALID_EMAIL"
    assert refusal(ADMIN, "u9", {"phoneNumber": "555"}) == "INVALID_PHONE_NUMBER"
    assert refusal(ADMIN, "u9", {"username": "a"}) == "USERNAME_TOO_SHORT"
    assert refusal(ADMIN, "u9", {"name": "x" * 257}) == "USER_FIELD_TOO_LONG"
    with pytest.raises(DomainError) as refused:
        update_changes(ADMIN, "u9", {"emailVerified": "yes"}, POLICY)
    assert refused.value.metadata == {
        "field": "emailVerified",
        "expected": "boolean",
        "received": "string",
    }


def test_update_takes_allow_listed_fields_as_columns_and_ignores_the_rest() -> None:
    changes = update_changes(
        ADMIN,
        "u9",
        {
            "name": "Bo",
            "email": "Bo@Example.Test",
            "emailVerified": True,
            "role": ["user", "admin"],
            "image": None,
            "banned": True,
            "banReason": "spam",
            "banExpires": "2030-01-01T00:00:00Z",
            "username": "Bo_B",
            "phoneNumber": "+15550100",
            "twoFactorEnabled": True,  # mfa's, not an admin's
            "createdAt": "2020-01-01",
            "bogus": 1,
        },
        POLICY,
    )
    assert changes.values == {
        "role": "user,admin",
        "email": "bo@example.test",
        "name": "Bo",
        "email_verified": True,
        "image": None,
        "banned": True,
        "ban_reason": "spam",
        "ban_expires": datetime(2030, 1, 1, tzinfo=UTC),
        "username": "bo_b",
        "phone_number": "+15550100",
    }
    assert changes.bans and not changes.unbans


def test_creation_takes_the_bodys_role_then_datas() -> None:
    assert creation_changes(ADMIN, {}, None, POLICY).values == {}
    assert creation_changes(ADMIN, {"role": "admin"}, None, POLICY).values == {"role": "admin"}
    assert creation_changes(ADMIN, {"role": "admin"}, ["user"], POLICY).values == {"role": "user"}
    changes = creation_changes(
        ADMIN, {"username": "Cy_1", "phoneNumber": "+15550100", "emailVerified": True}, None, POLICY
    )
    # A username alone is also the display name; a phone number is never set at creation.
    assert changes.values == {
        "email_verified": True,
        "username": "cy_1",
        "display_username": "Cy_1",
    }
    for admin, data, roles, reason in (
        (user("user"), {}, None, "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS"),
        (ADMIN, {"role": [5]}, None, "INVALID_ROLE_TYPE"),
        (ADMIN, {}, ["owner"], "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE"),
        (ADMIN, {"image": 5}, None, "INVALID_USER_FIELD"),
    ):
        with pytest.raises(DomainError) as refused:
            creation_changes(admin, data, roles, POLICY)
        assert refused.value.reason == reason


# --- bans -----------------------------------------------------------------------------------


def test_a_ban_ends_when_asked_and_never_for_none_or_zero() -> None:
    assert ban_expiry(NOW, None) is None
    assert ban_expiry(NOW, 0) is None
    assert ban_expiry(NOW, 60) == NOW + timedelta(seconds=60)
    assert ban_expiry(NOW, -10) == NOW - timedelta(seconds=10)  # already lapsed, as Better-Auth
    for seconds in (MAX_BAN_SECONDS + 1, -MAX_BAN_SECONDS - 1, float("inf"), float("nan")):
        with pytest.raises(DomainError) as refused:
            ban_expiry(NOW, seconds)
        assert refused.value.reason == "INVALID_BAN_EXPIRY"


def test_a_lapsed_ban_is_no_ban() -> None:
    banned = replace(user(), banned=True, ban_expires=NOW - timedelta(seconds=1))
    assert not banned.is_banned(NOW)
    assert replace(banned, ban_expires=None).is_banned(NOW)
