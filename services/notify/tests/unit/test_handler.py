"""Sealed messages from the queue: opened with the key ring, delivered once and acked, retried
with the schedule's delay while the channel is away, dead-lettered (without their secret) when
they are undecryptable, expired, refused or out of tries — never delivered after their expiry,
and one bad message never stops the handler."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from authmesh_kit.crypto.key_ring import KeyRing, new_key_ring_spec
from authmesh_kit.events.notifications import EMAIL, SMS, build_message, seal_message
from authmesh_notify.domain.deliver import Deliverer
from authmesh_notify.domain.errors import PermanentDeliveryError, TransientDeliveryError
from authmesh_notify.domain.model import Email, Notification, Sms
from authmesh_notify.domain.retry import RetryPolicy
from authmesh_notify.events.dead_letters import DeadLetter, dead_letter_subject, encode
from authmesh_notify.events.handlers import NotifyHandler, filter_subjects, open_notification
from authmesh_notify.rendering import TemplateRenderer

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
RING = KeyRing.from_spec(new_key_ring_spec())
TOKEN = "secret-token-0123456789abcdef"
URL = f"https://auth.example.com/api/auth/verify-email?token={TOKEN}"


@dataclass
class FakeQueued:
    data: bytes
    subject: str = "ns.notify.email.verify-email"
    message_id: str = "m-1"
    tries: int = 1
    settled: list[tuple[str, float]] = field(default_factory=list)

    async def ack(self) -> None:
        self.settled.append(("ack", 0.0))

    async def retry(self, delay_s: float) -> None:
        self.settled.append(("retry", delay_s))

    async def drop(self) -> None:
        self.settled.append(("drop", 0.0))


@dataclass
class FakeChannels:
    """Email and SMS at once; `failure` is raised by the next sends while set."""

    emails: list[Email] = field(default_factory=list)
    sms: list[Sms] = field(default_factory=list)
    failure: Exception | None = None

    async def send_email(self, email: Email) -> None:
        if self.failure is not None:
            raise self.failure
        self.emails.append(email)

    async def send_sms(self, sms: Sms, *, message_type: str) -> None:
        if self.failure is not None:
            raise self.failure
        self.sms.append(sms)


class EmailPort:
    def __init__(self, channels: FakeChannels) -> None:
        self.send = channels.send_email


class SmsPort:
    def __init__(self, channels: FakeChannels) -> None:
        self.send = channels.send_sms


@dataclass
class FakeOutbox:
    recorded: list[tuple[Notification, datetime]] = field(default_factory=list)

    async def record(self, notification: Notification, delivered_at: datetime) -> None:
        self.recorded.append((notification, delivered_at))


@dataclass
class FakeDeadLetters:
    records: list[DeadLetter] = field(default_factory=list)
    down: bool = False

    async def publish(self, record: DeadLetter) -> None:
        if self.down:
            raise ConnectionError("nats away")
        self.records.append(record)


@dataclass
class World:
    handler: NotifyHandler
    channels: FakeChannels
    outbox: FakeOutbox
    dead: FakeDeadLetters


@pytest.fixture
def world() -> World:
    channels, outbox, dead = FakeChannels(), FakeOutbox(), FakeDeadLetters()
    clock = lambda: NOW  # noqa: E731
    deliverer = Deliverer(
        renderer=TemplateRenderer(app_name="Acme", clock=clock),
        email=EmailPort(channels),
        sms=SmsPort(channels),
        outbox=outbox,
        clock=clock,
    )
    handler = NotifyHandler(
        key_ring=RING,
        deliverer=deliverer,
        dead_letters=dead,
        policy=RetryPolicy((5.0, 30.0)),
        clock=clock,
    )
    return World(handler, channels, outbox, dead)


def sealed(
    type_: str = "verify-email",
    *,
    to: str = "alice@example.com",
    expires_in: timedelta = timedelta(hours=1),
    fields: Mapping[str, str] | None = None,
    channel: int = EMAIL,
) -> bytes:
    message = build_message(
        type_,
        channel=channel,  # type: ignore[arg-type]
        to=to,
        expires_at=NOW + expires_in,
        fields={"url": URL, "token": TOKEN} if fields is None else fields,
    )
    return seal_message(RING, message)


async def test_a_sealed_message_is_delivered_recorded_and_acked(world: World) -> None:
    queued = FakeQueued(sealed())
    assert await world.handler.handle(queued) == "delivered"
    assert queued.settled == [("ack", 0.0)]
    [email] = world.channels.emails
    assert email.to == "alice@example.com"
    assert URL in email.text
    [(notification, at)] = world.outbox.recorded
    assert notification.fields["token"] == TOKEN
    assert at == NOW
    assert world.dead.records == []


async def test_an_sms_goes_to_the_sms_provider(world: World) -> None:
    data = sealed("phone-otp", to="+15551234567", fields={"otp": "482913"}, channel=SMS)
    queued = FakeQueued(data, subject="ns.notify.sms.phone-otp")
    assert await world.handler.handle(queued) == "delivered"
    [sms] = world.channels.sms
    assert sms.to == "+15551234567"
    assert "482913" in sms.body


async def test_a_redelivered_message_is_not_sent_twice(world: World) -> None:
    data = sealed()
    await world.handler.handle(FakeQueued(data))
    again = FakeQueued(data, tries=2)
    assert await world.handler.handle(again) == "duplicate"
    assert again.settled == [("ack", 0.0)]
    assert len(world.channels.emails) == 1


async def test_an_undecryptable_message_is_dead_lettered_not_raised(world: World) -> None:
    other_ring = KeyRing.from_spec(new_key_ring_spec("k9"))
    foreign = seal_message(
        other_ring,
        build_message("verify-email", channel=EMAIL, to="a@b.test", expires_at=NOW, fields={}),
    )
    for data in (foreign, b"\x00garbage", b""):
        queued = FakeQueued(data, message_id="m-x", tries=1)
        assert await world.handler.handle(queued) == "dead"
        assert queued.settled == [("drop", 0.0)]
    assert [record.reason for record in world.dead.records] == ["UNDECRYPTABLE"] * 3
    assert world.dead.records[0] == DeadLetter(
        "m-x", "verify-email", "email", "", "UNDECRYPTABLE", 1
    )
    assert world.channels.emails == []


async def test_an_expired_message_is_never_delivered(world: World) -> None:
    queued = FakeQueued(sealed(expires_in=timedelta(seconds=-1)))
    assert await world.handler.handle(queued) == "dead"
    assert queued.settled == [("drop", 0.0)]
    assert world.channels.emails == []
    assert world.outbox.recorded == []
    [record] = world.dead.records
    assert (record.reason, record.recipient_domain, record.channel) == (
        "EXPIRED",
        "example.com",
        "email",
    )


async def test_a_channel_that_is_away_gets_the_schedules_delays_then_a_dead_letter(
    world: World,
) -> None:
    world.channels.failure = TransientDeliveryError("SMTP unavailable")
    data = sealed()
    outcomes = []
    for tries in (1, 2, 3):
        queued = FakeQueued(data, tries=tries)
        outcomes.append((await world.handler.handle(queued), queued.settled))
    assert outcomes == [
        ("retry", [("retry", 5.0)]),
        ("retry", [("retry", 30.0)]),
        ("dead", [("drop", 0.0)]),
    ]
    [record] = world.dead.records
    assert record.reason == "RETRIES_EXHAUSTED"
    assert record.tries == 3


async def test_retries_stop_at_the_expiry(world: World) -> None:
    world.channels.failure = TransientDeliveryError("SMTP unavailable")
    queued = FakeQueued(sealed(expires_in=timedelta(seconds=3)))
    assert await world.handler.handle(queued) == "retry"
    assert queued.settled == [("retry", 2.0)]  # cut short: one second before the expiry
    late = FakeQueued(sealed(expires_in=timedelta(seconds=0.5)))
    assert await world.handler.handle(late) == "dead"
    assert world.dead.records[-1].reason == "EXPIRED"


async def test_a_refused_message_is_dead_lettered_at_once(world: World) -> None:
    world.channels.failure = PermanentDeliveryError("refused", reason="RECIPIENT_REFUSED")
    queued = FakeQueued(sealed())
    assert await world.handler.handle(queued) == "dead"
    assert world.dead.records[0].reason == "RECIPIENT_REFUSED"


async def test_a_bad_recipient_or_template_is_dead_lettered(world: World) -> None:
    injected = FakeQueued(sealed(to="alice@example.com\r\nBcc: evil@attacker.test"))
    assert await world.handler.handle(injected) == "dead"
    no_url = FakeQueued(sealed(fields={"token": TOKEN}))
    assert await world.handler.handle(no_url) == "dead"
    assert [r.reason for r in world.dead.records] == ["INVALID_RECIPIENT", "TEMPLATE_FAILED"]
    assert world.channels.emails == []


async def test_a_bug_in_a_channel_is_retried_not_raised(world: World) -> None:
    world.channels.failure = RuntimeError("bug")
    queued = FakeQueued(sealed())
    assert await world.handler.handle(queued) == "retry"


async def test_when_the_dead_letter_cannot_be_stored_the_message_stays(world: World) -> None:
    world.dead.down = True
    queued = FakeQueued(sealed(expires_in=timedelta(seconds=-1)))
    assert await world.handler.handle(queued) == "retry"
    assert queued.settled == [("retry", 5.0)]


def test_a_dead_letter_carries_no_secret_and_no_address() -> None:
    record = DeadLetter("m-1", "verify-email", "email", "example.com", "EXPIRED", 2)
    payload = json.loads(encode(record))
    assert payload == {
        "id": "m-1",
        "type": "verify-email",
        "channel": "email",
        "recipientDomain": "example.com",
        "reason": "EXPIRED",
        "tries": 2,
    }


def test_dead_letters_are_outside_the_consumers_filters() -> None:
    assert filter_subjects("ns") == ["ns.notify.email.>", "ns.notify.sms.>"]
    assert dead_letter_subject("ns", "verify-email") == "ns.notify.dead.verify-email"
    assert dead_letter_subject("ns", "a.b>*") == "ns.notify.dead.a_b__"


def test_open_notification_reads_the_sealed_message() -> None:
    notification = open_notification(RING, sealed(expires_in=timedelta(minutes=10)))
    assert notification.type == "verify-email"
    assert notification.expires_at == NOW + timedelta(minutes=10)
    assert notification.fields["url"] == URL
