"""The session service's consumers of identity's account changes (password.changed,
email.changed, user.deleted, user.banned): what each revokes."""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from authmesh.identity.v1 import admin_pb2, identity_pb2
from authmesh_kit.events.catalogue import (
    EMAIL_CHANGED,
    PASSWORD_CHANGED,
    USER_BANNED,
    USER_CREATED,
    USER_DELETED,
)
from authmesh_kit.events.envelope import Envelope, build_envelope
from authmesh_session.domain.model import Session
from authmesh_session.events.handlers import (
    EmailChangedHandler,
    PasswordChangedHandler,
    UserBannedHandler,
    UserDeletedHandler,
)

NOW = datetime.now(UTC)


def _session(user_id: str, created_at: datetime) -> Session:
    return Session(
        id=f"s-{created_at.timestamp()}",
        user_id=user_id,
        expires_at=NOW + timedelta(days=1),
        created_at=created_at,
        updated_at=created_at,
        ip_address="",
        user_agent="",
        dont_remember=False,
    )


class FakeStore:
    """Only what the handler uses: deletion by user, keeping what `created_before` keeps."""

    def __init__(self, sessions: list[Session]) -> None:
        self.sessions = sessions
        self.events: list[Envelope] = []

    async def delete_for_user(
        self,
        user_id: str,
        events_for: Callable[[Session, bytes], Sequence[Envelope]],
        *,
        keep: bytes | None = None,
        created_before: datetime | None = None,
        conn: AsyncConnection | None = None,
    ) -> list[Session]:
        gone = [
            s
            for s in self.sessions
            if s.user_id == user_id and (created_before is None or s.created_at < created_before)
        ]
        self.sessions = [s for s in self.sessions if s not in gone]
        for session in gone:
            self.events.extend(events_for(session, b"\x01" * 32))
        return gone


def _changed(revoke: bool) -> Envelope:
    payload = identity_pb2.PasswordChanged(user_id="u1", method="reset", revoke_sessions=revoke)
    return build_envelope(PASSWORD_CHANGED, payload, user_id="u1")


async def test_sessions_from_before_the_change_go_and_later_ones_stay() -> None:
    envelope = _changed(revoke=True)
    changed_at = envelope.occurred_at.ToDatetime(tzinfo=UTC)
    before = _session("u1", changed_at - timedelta(seconds=5))
    after = _session("u1", changed_at + timedelta(seconds=1))
    someone_else = _session("u2", changed_at - timedelta(seconds=5))
    store = FakeStore([before, after, someone_else])
    await PasswordChangedHandler(store)(None, envelope)  # type: ignore[arg-type]
    assert store.sessions == [after, someone_else]
    [revoked] = store.events
    assert revoked.type == "auth.session.session.revoked.v1"
    assert revoked.subject.session_id == before.id


async def test_a_change_that_kept_the_sessions_revokes_nothing() -> None:
    sessions = [_session("u1", NOW - timedelta(hours=1))]
    store = FakeStore(list(sessions))
    await PasswordChangedHandler(store)(None, _changed(revoke=False))  # type: ignore[arg-type]
    other = build_envelope(USER_CREATED, identity_pb2.UserCreated(user_id="u1"), user_id="u1")
    await PasswordChangedHandler(store)(None, other)  # type: ignore[arg-type]
    assert store.sessions == sessions and not store.events


async def test_an_email_change_revokes_the_sessions_from_before_it() -> None:
    payload = identity_pb2.EmailChanged(user_id="u1")
    envelope = build_envelope(EMAIL_CHANGED, payload, user_id="u1")
    changed_at = envelope.occurred_at.ToDatetime(tzinfo=UTC)
    before = _session("u1", changed_at - timedelta(seconds=5))
    reissued = _session("u1", changed_at + timedelta(seconds=1))  # the confirming browser's
    store = FakeStore([before, reissued])
    await EmailChangedHandler(store)(None, envelope)  # type: ignore[arg-type]
    assert store.sessions == [reissued]
    await EmailChangedHandler(store)(None, _changed(revoke=True))  # type: ignore[arg-type]
    assert store.sessions == [reissued]  # not its event


async def test_a_deleted_user_loses_every_session_even_one_from_after_the_deletion() -> None:
    envelope = build_envelope(USER_DELETED, identity_pb2.UserDeleted(user_id="u1"), user_id="u1")
    deleted_at = envelope.occurred_at.ToDatetime(tzinfo=UTC)
    someone_else = _session("u2", deleted_at - timedelta(seconds=5))
    store = FakeStore(
        [
            _session("u1", deleted_at - timedelta(seconds=5)),
            _session("u1", deleted_at + timedelta(seconds=1)),  # raced the deletion
            someone_else,
        ]
    )
    await UserDeletedHandler(store)(None, envelope)  # type: ignore[arg-type]
    assert store.sessions == [someone_else]
    assert [e.type for e in store.events] == ["auth.session.session.revoked.v1"] * 2


async def test_a_banned_user_loses_every_session() -> None:
    envelope = build_envelope(USER_BANNED, admin_pb2.UserBanned(user_id="u1"), user_id="u1")
    banned_at = envelope.occurred_at.ToDatetime(tzinfo=UTC)
    someone_else = _session("u2", banned_at - timedelta(seconds=5))
    store = FakeStore(
        [
            _session("u1", banned_at - timedelta(seconds=5)),
            _session("u1", banned_at + timedelta(seconds=1)),  # raced the ban
            someone_else,
        ]
    )
    await UserBannedHandler(store)(None, envelope)  # type: ignore[arg-type]
    assert store.sessions == [someone_else]
    assert [e.type for e in store.events] == ["auth.session.session.revoked.v1"] * 2
    await UserBannedHandler(store)(None, _changed(revoke=True))  # type: ignore[arg-type]
    assert store.sessions == [someone_else]  # not its event
