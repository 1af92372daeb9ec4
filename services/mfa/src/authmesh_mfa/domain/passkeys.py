"""Passkeys (Better-Auth's passkey plugin, api.md §9.3): the model, the relying party, the
errors, what the use cases need from storage, and the events.

A ceremony's challenge lives here, not in the browser: 32 random bytes kept five minutes under
the SHA-256 of a random challenge id, which the gateway hands the browser in a signed cookie.
Taking a challenge deletes it (one DELETE … RETURNING), so of any number of concurrent answers
to one challenge exactly one is checked against it, and an assertion can never be replayed.
The ceremonies' checks are domain/passkey_ceremonies.py; the flows domain/use_cases/passkey_*.py.
"""

import hashlib
import secrets
import string
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal, Protocol
from urllib.parse import urlsplit

from authmesh.mfa.v1 import passkey_pb2
from authmesh_kit.errors import DomainError, ErrorKind
from authmesh_kit.events.catalogue import (
    PASSKEY_CLONE_SUSPECTED,
    PASSKEY_DELETED,
    PASSKEY_REGISTERED,
    PASSKEY_REJECTED,
    PASSKEY_RENAMED,
    PASSKEY_VERIFIED,
)
from authmesh_kit.events.envelope import Actor, Envelope, build_envelope
from authmesh_mfa.domain.errors import DOMAIN

CHALLENGE_BYTES = 32
UserVerification = Literal["preferred", "required"]
_USER_HANDLE_ALPHABET = string.ascii_lowercase + string.digits


@dataclass(frozen=True)
class RelyingParty:
    """The WebAuthn relying party, from configuration only: its id (a host), its name, the
    origins whose ceremonies it accepts, and whether the authenticator must verify the user
    (NIST SP 800-63B-4 asks verifiers to request it and inspect the flag)."""

    id: str
    name: str
    origins: tuple[str, ...]
    user_verification: UserVerification = "preferred"
    challenge_lifetime: timedelta = timedelta(minutes=5)  # Better-Auth's cookie and row
    timeout_ms: int = 60_000  # the hint to the browser

    @property
    def requires_user_verification(self) -> bool:
        return self.user_verification == "required"


def _origin(url: str) -> str | None:
    """The exact origin of an http(s) URL as browsers write it in clientDataJSON (lower-case
    host, no default port), or None for anything else, a wildcard pattern included."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or "*" in parts.netloc:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    default_port = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{parts.hostname}" + (
        f":{port}" if port not in (None, default_port) else ""
    )


def _within(origin: str, rp_id: str) -> bool:
    """WebAuthn §5.1.4.1: the RP id is the origin's host or a parent domain of it."""
    host = urlsplit(origin).hostname or ""
    return host == rp_id or host.endswith(f".{rp_id}")


def relying_party(
    *,
    base_url: str,
    rp_id: str,
    rp_name: str,
    origins: str,
    trusted_origins: str,
    user_verification: UserVerification,
) -> RelyingParty:
    """The relying party of the configuration (settings.py); ValueError for one that no
    browser could complete a ceremony with."""
    base_origin = _origin(base_url)
    if base_origin is None:
        raise ValueError(f"AUTHMESH_BASE_URL must be an http(s) URL: {base_url!r}")
    rp_id = (rp_id or urlsplit(base_origin).hostname or "").lower()
    if not _within(base_origin, rp_id):
        raise ValueError(f"AUTHMESH_PASSKEY_RP_ID {rp_id!r} does not cover {base_origin}")
    listed = [item for item in origins.split(",") if item.strip()]
    if listed:
        accepted = [_origin(item) for item in listed]
        wrong = [item for item, origin in zip(listed, accepted, strict=True) if not origin]
        wrong += [origin for origin in accepted if origin and not _within(origin, rp_id)]
        if wrong:
            raise ValueError(f"AUTHMESH_PASSKEY_ORIGINS outside the RP id {rp_id!r}: {wrong}")
    else:
        trusted = (_origin(item) for item in trusted_origins.split(",") if item.strip())
        accepted = [base_origin, *(o for o in trusted if o and _within(o, rp_id))]
    return RelyingParty(
        id=rp_id,
        name=rp_name,
        origins=tuple(dict.fromkeys(o for o in accepted if o)),
        user_verification=user_verification,
    )


class Ceremony(StrEnum):
    REGISTRATION = "registration"
    AUTHENTICATION = "authentication"


@dataclass(frozen=True)
class PasskeyChallenge:
    id_hash: bytes
    ceremony: Ceremony
    challenge: bytes
    user_id: str | None  # registration: the registering user; authentication: the session's
    expires_at: datetime


@dataclass(frozen=True)
class Passkey:
    id: str
    user_id: str
    name: str | None
    credential_id: str  # base64url
    public_key: bytes  # COSE_Key
    counter: int
    device_type: str
    backed_up: bool
    transports: str | None
    aaguid: str | None
    created_at: datetime


def new_challenge_id() -> str:
    return secrets.token_urlsafe(24)


def challenge_id_hash(challenge_id: str) -> bytes:
    return hashlib.sha256(challenge_id.encode()).digest()


def new_challenge() -> bytes:
    return secrets.token_bytes(CHALLENGE_BYTES)


def new_user_handle() -> bytes:
    """A fresh user handle per registration, as Better-Auth makes it: 32 random characters
    of [a-z0-9]. It names no user, so a discoverable credential carries no personal data."""
    return "".join(secrets.choice(_USER_HANDLE_ALPHABET) for _ in range(32)).encode()


# --- errors (Better-Auth's passkey codes)


def challenge_not_found() -> DomainError:
    """No challenge cookie, or its challenge unknown, used, expired or of the other ceremony."""
    return DomainError(
        ErrorKind.INVALID_ARGUMENT, "CHALLENGE_NOT_FOUND", DOMAIN, "Challenge not found"
    )


def not_allowed_to_register() -> DomainError:
    return DomainError(
        ErrorKind.PERMISSION_DENIED,
        "YOU_ARE_NOT_ALLOWED_TO_REGISTER_THIS_PASSKEY",
        DOMAIN,
        "You are not allowed to register this passkey",
    )


def failed_to_verify_registration() -> DomainError:
    return DomainError(
        ErrorKind.INVALID_ARGUMENT,
        "FAILED_TO_VERIFY_REGISTRATION",
        DOMAIN,
        "Failed to verify registration",
    )


def passkey_not_found() -> DomainError:
    return DomainError(ErrorKind.NOT_FOUND, "PASSKEY_NOT_FOUND", DOMAIN, "Passkey not found")


def authentication_failed() -> DomainError:
    return DomainError(
        ErrorKind.UNAUTHENTICATED, "AUTHENTICATION_FAILED", DOMAIN, "Authentication failed"
    )


def not_passkey_owner() -> DomainError:
    """The passkey exists but is another user's."""
    return DomainError(
        ErrorKind.PERMISSION_DENIED, "NOT_PASSKEY_OWNER", DOMAIN, "Passkey of another user"
    )


# --- storage


class PasskeyTransaction(Protocol):
    """One database transaction of a passkey flow: its changes and its events commit together
    or not at all."""

    async def add_challenge(self, challenge: PasskeyChallenge) -> None: ...

    async def take_challenge(self, id_hash: bytes) -> PasskeyChallenge | None:
        """Deletes the challenge and answers it, expired or not: of any number of concurrent
        takers exactly one gets it."""
        ...

    async def passkeys_of(self, user_id: str) -> list[Passkey]:
        """Oldest first."""
        ...

    async def passkey(self, passkey_id: str) -> Passkey | None: ...

    async def passkey_by_credential_id(self, credential_id: str) -> Passkey | None: ...

    async def add_passkey(self, passkey: Passkey) -> Passkey | None:
        """The stored passkey; None when its credential id is registered already."""
        ...

    async def advance_counter(self, passkey_id: str, received: int) -> bool:
        """Stores `received` only if it is above the stored counter, or both are zero
        (passkey_ceremonies.counter_moved_forward), in one conditional UPDATE: False when the
        counter did not move forward, even because a concurrent assertion moved it first."""
        ...

    async def rename_passkey(self, passkey_id: str, name: str) -> Passkey | None: ...

    async def delete_passkey(self, passkey_id: str) -> bool: ...

    async def delete_user_passkeys(self, user_id: str) -> list[str]:
        """Every passkey of the user; the ids deleted."""
        ...

    async def add_events(self, *events: Envelope) -> None: ...


class PasskeyUnitOfWork(Protocol):
    def begin(self) -> AbstractAsyncContextManager[PasskeyTransaction]: ...


# --- events (no key material, challenge or signature)


def passkey_registered(passkey: Passkey, user_verified: bool, actor: Actor | None) -> Envelope:
    payload = passkey_pb2.PasskeyRegistered(
        user_id=passkey.user_id,
        passkey_id=passkey.id,
        device_type=passkey.device_type,
        backed_up=passkey.backed_up,
        user_verified=user_verified,
        aaguid=passkey.aaguid or "",
    )
    return build_envelope(PASSKEY_REGISTERED, payload, actor=actor, user_id=passkey.user_id)


def passkey_renamed(passkey: Passkey, actor: Actor | None) -> Envelope:
    payload = passkey_pb2.PasskeyRenamed(user_id=passkey.user_id, passkey_id=passkey.id)
    return build_envelope(PASSKEY_RENAMED, payload, actor=actor, user_id=passkey.user_id)


def passkey_deleted(user_id: str, passkey_id: str, reason: str, actor: Actor | None) -> Envelope:
    payload = passkey_pb2.PasskeyDeleted(user_id=user_id, passkey_id=passkey_id, reason=reason)
    return build_envelope(PASSKEY_DELETED, payload, actor=actor, user_id=user_id)


def passkey_verified(passkey: Passkey, user_verified: bool, actor: Actor | None) -> Envelope:
    payload = passkey_pb2.PasskeyVerified(
        user_id=passkey.user_id, passkey_id=passkey.id, user_verified=user_verified
    )
    return build_envelope(PASSKEY_VERIFIED, payload, actor=actor, user_id=passkey.user_id)


def passkey_rejected(passkey: Passkey | None, reason: str, actor: Actor | None) -> Envelope:
    user_id = passkey.user_id if passkey else ""
    payload = passkey_pb2.PasskeyRejected(
        user_id=user_id, passkey_id=passkey.id if passkey else "", reason=reason
    )
    return build_envelope(PASSKEY_REJECTED, payload, actor=actor, user_id=user_id)


def passkey_clone_suspected(passkey: Passkey, received: int, actor: Actor | None) -> Envelope:
    payload = passkey_pb2.PasskeyCloneSuspected(
        user_id=passkey.user_id,
        passkey_id=passkey.id,
        stored_counter=passkey.counter,
        received_counter=received,
    )
    return build_envelope(PASSKEY_CLONE_SUSPECTED, payload, actor=actor, user_id=passkey.user_id)
