"""An admin's impersonation session (Better-Auth's admin plugin): its lifetime, its
`dont_remember` semantics and the events that announce it."""

from datetime import UTC, datetime, timedelta

from authmesh.session.v1 import session_pb2
from authmesh_kit.events.catalogue import IMPERSONATION_STARTED
from authmesh_kit.events.envelope import Envelope, unpack
from authmesh_session.domain.model import Session, SessionLifetimes
from authmesh_session.domain.use_cases.create_session import create_session

LIFETIMES = SessionLifetimes(
    expires_in=timedelta(days=30),
    update_age=timedelta(days=1),
    dont_remember_expires_in=timedelta(days=1),
    impersonation_expires_in=timedelta(hours=1),
)


class CreatingStore:
    """Only what create_session uses."""

    def __init__(self) -> None:
        self.created: list[tuple[Session, tuple[Envelope, ...]]] = []

    async def create(self, session: Session, hashed_token: bytes, *events: Envelope) -> None:
        self.created.append((session, events))


async def test_an_impersonation_lives_an_hour_unrefreshed_and_is_announced() -> None:
    store = CreatingStore()
    session, _ = await create_session(
        store,  # type: ignore[arg-type]
        LIFETIMES,
        user_id="u1",
        ip_address="10.0.0.1",
        user_agent="admin's browser",
        dont_remember=False,
        method="impersonation",
        mfa_used=False,
        actor=None,
        impersonated_by="a1",
    )
    assert session.impersonated_by == "a1" and session.dont_remember
    assert session.expires_at - session.created_at == timedelta(hours=1)
    assert LIFETIMES.refreshed(session, datetime.now(UTC) + timedelta(minutes=59)) is None
    [(_, events)] = store.created
    assert [event.type for event in events] == [
        "auth.session.session.created.v1",
        "auth.session.impersonation.started.v1",
    ]
    started = unpack(events[1], IMPERSONATION_STARTED)
    assert isinstance(started, session_pb2.ImpersonationStarted)
    assert (started.session_id, started.user_id, started.admin_user_id) == (session.id, "u1", "a1")


async def test_a_plain_session_is_announced_alone() -> None:
    store = CreatingStore()
    session, _ = await create_session(
        store,  # type: ignore[arg-type]
        LIFETIMES,
        user_id="u1",
        ip_address="",
        user_agent="",
        dont_remember=False,
        method="email",
        mfa_used=False,
        actor=None,
    )
    assert session.impersonated_by is None and not session.dont_remember
    assert [event.type for event in store.created[0][1]] == ["auth.session.session.created.v1"]
