"""What the identity use cases need from storage, as Protocols."""

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

from authmesh_identity.domain.admin_user_query import UserPage, UserQuery
from authmesh_identity.domain.model import (
    NewUser,
    OneTimeToken,
    ProfileUpdate,
    TokenState,
    User,
    UserWithPassword,
)
from authmesh_identity.domain.one_time_codes import CodeCheck, CodePolicy
from authmesh_identity.domain.passwords import AttemptCount, ThrottlePolicy
from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.notifications import Message


class UserStore(Protocol):
    async def create_with_password(
        self, new_user: NewUser, password_hash: str, *events: Envelope
    ) -> User:
        """Creates the user and its credential account atomically; EMAIL_TAKEN when it exists."""
        ...

    async def find_with_password(self, email: str) -> UserWithPassword | None: ...

    async def find_with_password_by_username(self, username: str) -> UserWithPassword | None: ...

    async def find_with_password_by_phone_number(
        self, phone_number: str
    ) -> UserWithPassword | None: ...

    async def username_exists(self, username: str) -> bool: ...

    async def get(self, user_id: str) -> User | None: ...

    async def exists_by_email(self, email: str) -> bool: ...

    async def lookup(self, user_ids: Sequence[str], emails: Sequence[str]) -> list[User]:
        """The users whose id is in `user_ids` or whose email is in `emails` (already
        lower-cased), each once, in no set order; one indexed query."""
        ...

    async def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> None: ...

    async def record(self, *events: Envelope) -> None:
        """Writes events that accompany no state change (e.g. a failed sign-in)."""
        ...


class AccountTransaction(Protocol):
    """One database transaction of an account flow: its state changes, its one-time secrets,
    its events and its sealed messages commit together or not at all. An exception leaving
    the transaction rolls all of it back."""

    async def create_user_with_password(self, new_user: NewUser, password_hash: str) -> User:
        """EMAIL_TAKEN when the address exists (USERNAME_IS_ALREADY_TAKEN for the username)."""
        ...

    async def create_user(self, new_user: NewUser) -> User:
        """A user with no credential account (signed up by a verified phone number);
        EMAIL_TAKEN, USERNAME_IS_ALREADY_TAKEN or PHONE_NUMBER_EXIST when taken."""
        ...

    async def user_by_phone_number(self, phone_number: str) -> User | None: ...

    async def set_phone_number_verified(self, user_id: str, phone_number: str) -> User | None:
        """Gives the user this number, verified; PHONE_NUMBER_EXIST when another user has it."""
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

    async def invalidate_password_resets(self, user: User) -> int:
        """Marks used every live reset secret of the user: links, and codes sent to its
        address or phone number (issue 3: a new reset, a completed one and a password change
        leave no other reset usable); how many there were."""
        ...

    async def invalidate_secrets(self, user_id: str, email: str) -> int:
        """Marks used every live link token of the user, whatever its purpose, and every live
        code sent to `email`; how many there were."""
        ...

    async def claim_unverified_user(self, user_id: str) -> User | None:
        """Marks an unverified user's address verified and deletes every credential account it
        has: access set up before anyone proved control of the address, which the prover must
        not inherit (Better-Auth's revokeUnprovenAccountAccess). None when the user is verified
        already (a concurrent proof won) or gone."""
        ...

    async def change_email(self, user_id: str, email: str) -> User | None:
        """Sets the address, verified; EMAIL_TAKEN when another user has it."""
        ...

    async def delete_user(self, user_id: str) -> bool:
        """The user and everything identity keeps of it (accounts, tokens, codes); False when
        it was already gone."""
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
        """Sets the credential account's hash, creating the account when there is none. The
        new password starts a new count of failed attempts (a reset re-binds the password
        the throttle may have disabled, NIST SP 800-63B §3.2.2)."""
        ...

    async def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> bool:
        """Only while the hash is still `old_hash`: False when a concurrent change won."""
        ...

    async def update_profile(self, user_id: str, update: ProfileUpdate) -> User | None:
        """USERNAME_IS_ALREADY_TAKEN when another user has the new username."""
        ...

    async def update_user_fields(self, user_id: str, values: Mapping[str, Any]) -> User | None:
        """Sets users columns an admin changed (domain/admin_user_changes.py: checked values
        of allow-listed columns); EMAIL_TAKEN, USERNAME_IS_ALREADY_TAKEN or PHONE_NUMBER_EXIST
        when another user has the new value. None when the user is gone."""
        ...

    async def lift_lapsed_ban(self, user_id: str) -> User | None:
        """Clears the user's ban if it has lapsed, in one conditional UPDATE; the unbanned user,
        or None when there was no lapsed ban to lift."""
        ...

    async def unlock_password_attempts(self, key: bytes) -> int:
        """Forgets the account key's count and every pair's delay (an admin's unlock); the
        consecutive failures the account had."""
        ...

    async def set_two_factor_enabled(
        self, user_id: str, enabled: bool, changed_at: datetime
    ) -> bool:
        """Sets `two_factor_enabled` unless a change timed `changed_at` or later was applied
        already (one atomic upsert of the change time); whether it applied."""
        ...

    async def add_events(self, *events: Envelope) -> None: ...

    async def add_messages(self, *messages: Message) -> None:
        """Sealed for the notify service, in this transaction."""
        ...


class UnitOfWork(Protocol):
    def begin(self) -> AbstractAsyncContextManager[AccountTransaction]: ...

    # The password throttle's writes are one statement each, outside any transaction: every
    # password check makes them, and BEGIN and COMMIT would triple their round trips.
    async def count_password_attempt(
        self, key: bytes, ip: str, throttle: ThrottlePolicy
    ) -> AttemptCount:
        """Counts one more consecutive failure for the account key and its pair with the
        client address `ip`, before the password is checked, unless the account is at its cap
        or the pair is delayed (then the account is not counted and `allowed` is False).
        Atomic: 50 concurrent attempts count as 50, and none passes a delay or cap another one
        started."""
        ...

    async def clear_password_attempts(self, key: bytes, ip: str) -> None:
        """After a right password: the account's count and the pair's."""
        ...


class UserDirectory(Protocol):
    """The admin listing of users (domain/admin_user_query.py)."""

    async def list_users(self, query: UserQuery) -> UserPage:
        """A page of the matching users and how many match; SEARCH_TIMEOUT when the query runs
        longer than the search timeout (only substring search can)."""
        ...
