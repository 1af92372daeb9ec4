"""Webhook signatures (with their replay window) and the retry schedule."""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from authmesh_audit.domain.model import AuditEntry, ChainedEntry
from authmesh_audit.webhooks.deliverer import WebhookPolicy, entry_document
from authmesh_audit.webhooks.signing import sign, verify_signature

SECRET = b"0123456789abcdef"
BODY = b'{"eventId":"e-1"}'


def test_the_signature_is_an_hmac_of_the_timestamp_and_the_body() -> None:
    expected = hmac.new(SECRET, b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, 1_700_000_000, BODY) == f"v1={expected}"


def accepted(
    *, secret: bytes = SECRET, timestamp: int = 1_700_000_000, body: bytes = BODY, now: int
) -> bool:
    signature = sign(SECRET, 1_700_000_000, BODY)
    return verify_signature(
        secret=secret, timestamp=timestamp, body=body, signature=signature, now=now
    )


def test_a_receiver_refuses_other_bodies_secrets_and_old_timestamps() -> None:
    assert accepted(now=1_700_000_100)
    assert not accepted(body=BODY + b" ", now=1_700_000_100)
    assert not accepted(secret=b"another secret!!", now=1_700_000_100)
    assert not accepted(timestamp=1_700_000_001, now=1_700_000_100)
    assert not accepted(now=1_700_000_000 + 301)  # a replay, too late


def test_retries_back_off_doubling_up_to_an_hour() -> None:
    policy = WebhookPolicy(secret=SECRET, max_attempts=20, timeout_s=5, backoff_s=1.5)
    delays = [policy.retry_after(attempt) for attempt in (1, 2, 3, 20)]
    assert delays[:3] == [timedelta(seconds=s) for s in (1.5, 3, 6)]
    assert delays[3] == timedelta(hours=1)


def test_an_entry_is_sent_with_its_place_in_the_chain() -> None:
    moment = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    entry = AuditEntry(
        "e-1", "auth.session.session.created.v1", moment, "session", "ACTOR_KIND_USER", "u-1",
        "203.0.113.7", "ua", "u-1", "", "s-1", "", '{"method":"email"}',
    )  # fmt: skip
    document = entry_document(ChainedEntry(entry, 7, "a" * 64, "b" * 64, moment))
    assert document["sequence"] == 7 and document["hash"] == "b" * 64
    assert document["occurredAt"] == "2026-11-27T03:00:00Z"
    assert document["payload"] == {"method": "email"}
    assert document["actor"] == {
        "kind": "ACTOR_KIND_USER",
        "userId": "u-1",
        "ip": "203.0.113.7",
        "userAgent": "ua",
    }
