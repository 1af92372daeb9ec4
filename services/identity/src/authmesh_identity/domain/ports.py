"""What the identity use cases need from storage, as Protocols."""

from typing import Protocol

from authmesh_identity.domain.model import NewUser, User, UserWithPassword
from authmesh_kit.events.envelope import Envelope


class UserStore(Protocol):
    async def create_with_password(
        self, new_user: NewUser, password_hash: str, *events: Envelope
    ) -> User:
        """Creates the user and its credential account atomically; EMAIL_TAKEN when it exists."""
        ...

    async def find_with_password(self, email: str) -> UserWithPassword | None: ...

    async def get(self, user_id: str) -> User | None: ...

    async def exists_by_email(self, email: str) -> bool: ...

    async def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> None: ...

    async def record(self, *events: Envelope) -> None:
        """Writes events that accompany no state change (e.g. a failed sign-in)."""
        ...
