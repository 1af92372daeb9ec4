"""CheckPermission's answers from memory: per organization, each member's role field, each
team member's team role and the custom roles' statements, read from the database on a miss.

Every replica drops an organization's entries on any auth.org.* event naming it (the org
service's own events, fed by authmesh_kit.events.live_events), and only trusts the cache while
those events can reach it; otherwise every check reads the database. A read that raced with an
invalidation of its organization answers but is not kept, so a stale value never outlives the
event that made it stale.
"""

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TypeVar

from authmesh_org.domain import access
from authmesh_org.domain.access import AccessControl, Statements
from authmesh_org.domain.ports import AccessReader

T = TypeVar("T")
_Key = tuple[str, ...]
# Entries per organization: members, negative answers for non-members and team rows. An
# organization past it starts over rather than growing without bound.
MAX_ENTRIES_PER_ORGANIZATION = 20_000
_MEMBER = "member"
_TEAM = "team"
_ROLES = ("roles",)
_MISSING = object()
MAX_PREDEFINED_ROLE_FIELDS = 64


class PermissionCache:
    def __init__(
        self, reader: AccessReader, access_control: AccessControl, max_organizations: int
    ) -> None:
        self._reader = reader
        self._access = access_control
        self._max_organizations = max_organizations
        self._entries: OrderedDict[str, dict[_Key, object]] = OrderedDict()
        self._filling: dict[str, int] = {}  # organization → reads under way
        self._stale: set[str] = set()  # organizations invalidated while a read was under way
        self.usable = False  # until the live events are subscribed
        # Grants of role fields naming pre-defined roles only ("admin", "member,admin"): a
        # handful of strings, never invalidated.
        self._predefined: dict[str, Statements] = {}

    def invalidate(self, organization_id: str) -> None:
        self._entries.pop(organization_id, None)
        if organization_id in self._filling:
            self._stale.add(organization_id)

    def set_trusted(self, trusted: bool) -> None:
        """Forgets everything; keeps answers from now on only when `trusted`."""
        self._entries.clear()
        self._stale |= set(self._filling)
        self.usable = trusted

    def _peek(self, organization_id: str, key: _Key) -> object:
        """The cached value, or _MISSING; synchronous, so a hit costs no coroutine."""
        entry = self._entries.get(organization_id) if self.usable else None
        if entry is None:
            return _MISSING
        value = entry.get(key, _MISSING)
        if value is not _MISSING:
            self._entries.move_to_end(organization_id)
        return value

    async def _load(self, organization_id: str, key: _Key, load: Callable[[], Awaitable[T]]) -> T:
        """Reads the database; keeps the value unless its organization was invalidated (or
        trust lost) meanwhile."""
        self._filling[organization_id] = self._filling.get(organization_id, 0) + 1
        try:
            value = await load()
            keep = self.usable and organization_id not in self._stale
        finally:
            left = self._filling[organization_id] - 1
            if left:
                self._filling[organization_id] = left
            else:
                del self._filling[organization_id]
                self._stale.discard(organization_id)
        if keep and self._max_organizations:
            self._store(organization_id, key, value)
        return value

    def _store(self, organization_id: str, key: _Key, value: object) -> None:
        entry = self._entries.get(organization_id)
        if entry is None or len(entry) >= MAX_ENTRIES_PER_ORGANIZATION:
            entry = self._entries[organization_id] = {}
            while len(self._entries) > self._max_organizations:
                self._entries.popitem(last=False)
        self._entries.move_to_end(organization_id)
        entry[key] = value

    async def check(
        self,
        user_id: str,
        organization_id: str,
        team_id: str | None,
        requested: Statements,
    ) -> tuple[bool, bool]:
        """(allowed, member): whether the user holds every requested action in the
        organization — in the team, with `team_id`, by their team role when one is set."""
        if not user_id or not organization_id or "\x00" in user_id + organization_id:
            return False, False  # no member has such ids (Postgres text cannot hold NUL)
        role = self._peek(organization_id, (_MEMBER, user_id))
        if role is _MISSING:
            role = await self._load(
                organization_id,
                (_MEMBER, user_id),
                lambda: self._reader.member_role(organization_id, user_id),
            )
        if role is None:
            return False, False
        assert isinstance(role, str)
        if team_id is not None:
            if not team_id or "\x00" in team_id:
                return False, False
            team = self._peek(organization_id, (_TEAM, team_id, user_id))
            if team is _MISSING:
                team = await self._load(
                    organization_id,
                    (_TEAM, team_id, user_id),
                    lambda: self._reader.team_role(organization_id, team_id, user_id),
                )
            assert isinstance(team, tuple)  # (in the team, their team role)
            in_team, team_role = team
            if not in_team:
                return False, False
            role = team_role or role
        granted = self._predefined.get(role)
        if granted is None:
            granted = await self._grants(organization_id, role)
        return access.allows(granted, requested), True

    async def _grants(self, organization_id: str, role: str) -> Statements:
        names = access.split_roles(role)
        if all(name in access.PREDEFINED_ROLES for name in names):
            # The same for every organization: computed once per role field (a handful).
            granted = access.grants(self._access, names, {})
            if len(self._predefined) < MAX_PREDEFINED_ROLE_FIELDS:
                self._predefined[role] = granted
            return granted
        custom = self._peek(organization_id, _ROLES)
        if custom is _MISSING:
            custom = await self._load(
                organization_id, _ROLES, lambda: self._reader.custom_roles(organization_id)
            )
        assert isinstance(custom, dict)
        return access.grants(self._access, names, custom)
