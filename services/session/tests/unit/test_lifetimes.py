"""Better-Auth's sliding session expiry (api.md §4)."""

from datetime import UTC, datetime, timedelta

from authmesh_session.domain.model import Session, SessionLifetimes, new_token, token_hash

LIFETIMES = SessionLifetimes(
    expires_in=timedelta(days=30),
    update_age=timedelta(days=1),
    dont_remember_expires_in=timedelta(days=1),
)
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def session(created: datetime, dont_remember: bool = False) -> Session:
    return Session(
        id="s",
        user_id="u",
        expires_at=LIFETIMES.expiry_for(created, dont_remember),
        created_at=created,
        updated_at=created,
        ip_address="",
        user_agent="",
        dont_remember=dont_remember,
    )


def test_a_session_younger_than_update_age_is_not_refreshed() -> None:
    assert LIFETIMES.refreshed(session(NOW - timedelta(hours=23)), NOW) is None


def test_once_update_age_has_passed_the_session_slides_by_expires_in() -> None:
    refreshed = LIFETIMES.refreshed(session(NOW - timedelta(days=1)), NOW)
    assert refreshed is not None
    assert refreshed.expires_at == NOW + timedelta(days=30)
    assert refreshed.updated_at == NOW


def test_sessions_without_remember_me_last_a_day_and_never_slide() -> None:
    short = session(NOW - timedelta(hours=20), dont_remember=True)
    assert short.expires_at == NOW + timedelta(hours=4)
    assert LIFETIMES.refreshed(short, NOW) is None


def test_tokens_are_32_alphanumerics_and_stored_only_as_their_hash() -> None:
    token = new_token()
    assert len(token) == 32 and token.isalnum()
    assert token_hash(token) == token_hash(token) != token_hash(new_token())
    assert len(token_hash(token)) == 32
