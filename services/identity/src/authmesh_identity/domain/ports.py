"""What the identity use cases need from storage, as Protocols."""

from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from authmesh_identity.domain.model import NewUser, OneTimeToken, TokenState, User, UserWithPassword
from authmesh_identity.domain.one_time_codes import CodeCheck, CodePolicy
from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.notifications import Message


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


class AccountTransaction(Protocol):
    """One database transaction of an account flow: its state changes, its one-time secrets,
    its events and its sealed messages commit together or not at all. An exception leaving
    the transaction rolls all of it back."""

    async def create_user_with_password(self, new_user: NewUser, password_hash: str) -> User:
        """EMAIL_TAKEN when the address exists."""
        ...

    async def get_user(self, user_id: str) -> User | None: ...

    async def user_by_email(self, email: str) -> User | None: ...

    async def credential_hash(self, user_id: str) -> str | None:
        """The password hash of the user's credential account; None without one."""
        ...

    async def insert_token(self, token: OneTimeToken) -> None: ...

    async def consume_token(self, token_hash: bytes, purpose: str) -> TokenState | None:
        """Marks the token used if it is live (unused, unexpired, of this purpose): one
        conditional UPDATE, so of any number of concurrent uses exactly one gets the state."""
        ...

    async def token_state(self, token_hash: bytes, purpose: str) -> TokenState | None:
        """The token as stored, used or not, expired or not; None when unknown."""
        ...

    async def invalidate_tokens(self, user_id: str, purpose: str) -> int:
        """Marks every live token of the user and purpose used; how many there were."""
        ...

    async def put_code(
        self,
        purpose: str,
        identifier: str,
        code_hash: bytes,
        user_id: str | None,
        expires_at: datetime,
    ) -> None:
        """The identifier's one live code of this purpose, replacing any other; its attempts
        start again, its failure count and lockout stay (domain/one_time_codes.py)."""
        ...

    async def use_code(
        self, purpose: str, identifier: str, code_hash: bytes, policy: CodePolicy, *, consume: bool
    ) -> CodeCheck:
        """Checks a guess with atomic counters: VALID (consumed when `consume`, failures reset),
        or why not; a wrong guess is counted. Commit the transaction even when not VALID, or the
        count is lost."""
        ...

    async def set_email_verified(self, user_id: str) -> User | None: ...

    async def set_password_hash(self, user_id: str, new_hash: str) -> None:
        """Sets the credential account's hash, creating the account when there is none."""
        ...

    async def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> bool:
        """Only while the hash is still `old_hash`: False when a concurrent change won."""
        ...

    async def update_profile(
        self, user_id: str, *, name: str | None, image: str | None, clear_image: bool
    ) -> User | None: ...

    async def add_events(self, *events: Envelope) -> None: ...

    async def add_messages(self, *messages: Message) -> None:
        """Sealed for the notify service, in this transaction."""
        ...


class UnitOfWork(Protocol):
    def begin(self) -> AbstractAsyncContextManager[AccountTransaction]: ...
