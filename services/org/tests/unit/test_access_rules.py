"""The pure rules of organizations: Better-Auth's default statements, exact role names, custom
statements, the member listing's allow-lists, and the permission cache's invalidation."""

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from authmesh_kit.errors import DomainError
from authmesh_org.domain import access
from authmesh_org.domain.access import Statements
from authmesh_org.domain.member_query import member_query
from authmesh_org.domain.permission_cache import PermissionCache

ACCESS = access.access_control({"project": frozenset({"read", "write"})})


def test_default_roles_hold_better_auths_statements() -> None:
    owner = access.grants(ACCESS, ["owner"], {})
    admin = access.grants(ACCESS, ["admin"], {})
    member = access.grants(ACCESS, ["member"], {})
    assert access.allows(owner, {"organization": frozenset({"delete"})})
    assert not access.allows(admin, {"organization": frozenset({"delete"})})
    assert access.allows(admin, {"organization": frozenset({"update"}), "ac": frozenset({"read"})})
    assert access.allows(admin, {"project": frozenset({"write"})})  # extra statements
    assert member == {"ac": frozenset({"read"})}
    assert not access.allows(owner, {})  # asks for nothing: refused, not trivially allowed
    assert not access.allows(owner, {"project": frozenset()})


@pytest.mark.parametrize("name", [" owner", "Owner", "owner ", "OWNER", "owner\u200b", ""])
def test_role_names_are_matched_exactly(name: str) -> None:
    assert access.unknown_roles([name], custom=["auditor"]) == [name]
    assert access.grants(ACCESS, [name], {}) == {}
    assert not access.is_owner(name)


def test_a_role_field_holds_several_roles() -> None:
    custom: dict[str, Statements] = {"auditor": {"member": frozenset({"update"})}}
    names = access.split_roles("member,auditor")
    assert names == ["member", "auditor"]
    granted = access.grants(ACCESS, names, custom)
    assert access.allows(granted, {"member": frozenset({"update"}), "ac": frozenset({"read"})})
    assert access.is_owner("admin,owner") and not access.is_owner("owners")


def test_custom_statements_use_known_resources_and_actions_only() -> None:
    assert ACCESS.unknown_in({"project": frozenset({"read"})}) == []
    assert ACCESS.unknown_in({"project": frozenset({"launch"})}) == ["project:launch"]
    assert ACCESS.unknown_in({"rockets": frozenset()}) == ["rockets"]


@pytest.mark.parametrize(
    "query",
    [
        {"sort_by": "email"},
        {"sort_by": "role; DROP TABLE org.members"},
        {"sort_direction": "up"},
        {"filter_field": "organization_id", "filter_value": "x"},
        {"filter_field": "role", "filter_operator": "like", "filter_value": "%"},
        {"filter_field": "userId", "filter_operator": "contains", "filter_value": "x"},
        {"filter_field": "role"},
        {"filter_field": "createdAt", "filter_value": "yesterday"},
        {"limit": 0},
        {"limit": 1001},
        {"offset": -1},
    ],
)
def test_member_listing_refuses_what_is_not_allow_listed(query: dict[str, object]) -> None:
    arguments: dict[str, object] = {
        "limit": None,
        "offset": None,
        "sort_by": None,
        "sort_direction": None,
        "filter_field": None,
        "filter_operator": None,
        "filter_value": None,
    }
    with pytest.raises(DomainError) as refused:
        member_query(**(arguments | query))  # type: ignore[arg-type] # values per case
    assert refused.value.reason == "INVALID_MEMBER_QUERY"


def test_member_listing_maps_names_to_columns() -> None:
    query = member_query(
        limit=None,
        offset=None,
        sort_by="userId",
        sort_direction="desc",
        filter_field="role",
        filter_operator="in",
        filter_value="admin,owner",
    )
    assert (query.sort_by, query.descending, query.limit) == ("user_id", True, 100)
    assert (query.filter_field, query.filter_operator) == ("role", "in")
    assert query.filter_values == ("admin", "owner")


class Reader:
    """Roles as the database holds them; `pause` lets a read wait mid-way."""

    def __init__(self) -> None:
        self.roles = {("org", "ada"): "member"}
        self.reads = 0
        self.pause: Callable[[], Awaitable[None]] | None = None

    async def member_role(self, organization_id: str, user_id: str) -> str | None:
        self.reads += 1
        role = self.roles.get((organization_id, user_id))
        if self.pause is not None:
            await self.pause()
        return role

    async def team_role(
        self, organization_id: str, team_id: str, user_id: str
    ) -> tuple[bool, str | None]:
        return False, None

    async def custom_roles(self, organization_id: str) -> dict[str, Statements]:
        return {}


UPDATE = {"member": frozenset({"update"})}


async def test_the_cache_answers_from_memory_until_its_organization_is_invalidated() -> None:
    reader = Reader()
    cache = PermissionCache(reader, ACCESS, max_organizations=10)
    cache.set_trusted(True)
    assert await cache.check("ada", "org", None, UPDATE) == (False, True)
    reader.roles[("org", "ada")] = "admin"
    assert await cache.check("ada", "org", None, UPDATE) == (False, True)  # cached
    assert reader.reads == 1
    cache.invalidate("org")
    assert await cache.check("ada", "org", None, UPDATE) == (True, True)
    cache.set_trusted(False)  # NATS away: every check reads
    await cache.check("ada", "org", None, UPDATE)
    await cache.check("ada", "org", None, UPDATE)
    assert reader.reads == 4
    assert await cache.check("ada", "org", "\x00", UPDATE) == (False, False)


async def test_a_read_racing_an_invalidation_is_not_kept() -> None:
    reader = Reader()
    cache = PermissionCache(reader, ACCESS, max_organizations=10)
    cache.set_trusted(True)
    reading, go_on = asyncio.Event(), asyncio.Event()

    async def pause() -> None:
        reading.set()
        await go_on.wait()

    reader.pause = pause
    check = asyncio.create_task(cache.check("ada", "org", None, UPDATE))
    await reading.wait()  # the old role is read; now it changes and the event arrives
    reader.roles[("org", "ada")] = "admin"
    cache.invalidate("org")
    go_on.set()
    assert await check == (False, True)  # answered with what it read...
    reader.pause = None
    assert await cache.check("ada", "org", None, UPDATE) == (True, True)  # ...but not kept
