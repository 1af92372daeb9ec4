"""Notify end to end: a sealed message published on the NOTIFY stream (as identity's outbox relay
does) reaches a real SMTP server once and the test outbox through the gateway's /__test/outbox;
while SMTP is down it waits and is delivered once when SMTP is back; expired and undecryptable
messages are dead-lettered, never delivered; no name can add a header or a recipient.
"""

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import nats
import pytest
from nats.aio.msg import Msg

from authmesh.notify.v1 import notify_pb2
from authmesh_kit.crypto.key_ring import KeyRing, new_key_ring_spec
from authmesh_kit.events.names import NOTIFY, durable_name, stream_name
from authmesh_kit.events.notifications import EMAIL, SMS, build_message, message_subject
from authmesh_kit.events.notifications import seal_message as seal
from authmesh_kit.settings import Mode
from authmesh_kit.stack.backing import fresh_backing
from authmesh_kit.stack.plan import StackSpec, free_ports
from authmesh_kit.stack.supervisor import Stack
from authmesh_kit.testing.pytest_plugin import SmtpSink
from tests.conftest import browser
from tests.waiting import T, eventually

pytestmark = pytest.mark.integration

ISO_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def unique_address(prefix: str = "notify") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@Example.test"  # mixed case: keys are lower-cased


def unique_phone() -> str:
    return "+1555" + str(uuid.uuid4().int)[:7]


def message(
    type_: str,
    to: str,
    fields: dict[str, str],
    *,
    channel: "notify_pb2.Channel.ValueType" = EMAIL,
    expires_in: timedelta = timedelta(minutes=30),
) -> notify_pb2.Message:
    expires_at = datetime.now(UTC) + expires_in
    return build_message(type_, channel=channel, to=to, expires_at=expires_at, fields=fields)


async def publish(stack: Stack, subject: str, data: bytes, message_id: str) -> None:
    """As identity's outbox relay publishes: admin NATS here, JetStream, with Nats-Msg-Id."""
    client = await nats.connect(stack.nats_url)
    try:
        await client.jetstream().publish(subject, data, headers={"Nats-Msg-Id": message_id})
    finally:
        await client.close()


async def publish_sealed(stack: Stack, sealed: notify_pb2.Message) -> None:
    ring = KeyRing.from_spec(stack.plan.spec.encryption_keys)
    subject = message_subject(stack.namespace, sealed)
    await publish(stack, subject, seal(ring, sealed), sealed.id)


@pytest.fixture
async def http(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(stack) as client:
        yield client


async def outbox(http: httpx.AsyncClient, to: str, **params: str) -> httpx.Response:
    return await http.get("/__test/outbox", params={"to": to, **params})


async def notify_counter(stack: Stack, name: str, **labels: str) -> float:
    """A counter of notify's Prometheus endpoint, summed over the series matching `labels`."""
    port = stack.plan.metrics_ports["notify"]
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_a_sealed_message_reaches_smtp_once_and_the_test_outbox(
    stack: Stack, smtp_sink: SmtpSink, http: httpx.AsyncClient
) -> None:
    to = unique_address()
    token = uuid.uuid4().hex
    url = f"{stack.gateway_url}/api/auth/verify-email?token={token}&callbackURL=%2F"
    await publish_sealed(stack, message("verify-email", to.lower(), {"token": token, "url": url}))

    found = await eventually(lambda: outbox(http, to), lambda r: r.status_code == 200)
    assert found.status_code == 200, found.text
    entry = found.json()
    assert set(entry) == {"to", "type", "token", "url", "createdAt"}
    assert (entry["to"], entry["type"], entry["token"], entry["url"]) == (
        to.lower(),
        "verify-email",
        token,
        url,
    )
    assert ISO_MILLIS.match(entry["createdAt"])

    [mail] = await eventually(lambda: _async(smtp_sink.messages(to)), bool)
    assert mail["To"] == to.lower()
    assert mail["Subject"].startswith("Verify your email address")
    assert url in mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]

    listed = (await outbox(http, to, all="1")).json()
    assert [m["token"] for m in listed["messages"]] == [token]
    assert (await outbox(http, to, type="reset-password")).status_code == 404
    assert (await outbox(http, to, type="reset-password", all="1")).json() == {"messages": []}
    await asyncio.sleep(1.0)
    assert len(smtp_sink.messages(to)) == 1


async def test_the_outbox_contract_edges(stack: Stack, http: httpx.AsyncClient) -> None:
    missing = await http.get("/__test/outbox")
    assert (missing.status_code, missing.json()) == (400, {"message": "missing ?to="})
    nothing = await outbox(http, unique_address())
    assert (nothing.status_code, nothing.json()) == (404, {"message": "no message"})

    phone = unique_phone()
    await publish_sealed(stack, message("phone-otp", phone, {"otp": "482913"}, channel=SMS))
    sms = await eventually(lambda: outbox(http, phone), lambda r: r.status_code == 200)
    assert sms.json()["otp"] == "482913"
    assert sms.json()["to"] == phone
    # An unencoded `+` arrives as a space; the outbox reads it back as the phone's `+`.
    raw = await http.get(f"/__test/outbox?to={phone}")
    assert raw.json()["otp"] == "482913"

    cleared = await http.delete("/__test/outbox")
    assert cleared.status_code == 204
    assert (await outbox(http, phone)).status_code == 404


async def test_smtp_down_the_message_waits_and_is_delivered_once(
    stack: Stack, smtp_sink: SmtpSink, http: httpx.AsyncClient
) -> None:
    to = unique_address("outage")
    token = uuid.uuid4().hex
    url = f"{stack.gateway_url}/api/auth/reset-password/{token}?callbackURL=%2F"
    failed_before = await notify_counter(
        stack, "authmesh_notify_failed_total", type="reset-password"
    )
    smtp_sink.stop()
    try:
        await publish_sealed(stack, message("reset-password", to, {"token": token, "url": url}))
        failed = await eventually(
            lambda: notify_counter(stack, "authmesh_notify_failed_total", type="reset-password"),
            lambda value: value > failed_before,
        )
        assert failed > failed_before, "notify never tried while SMTP was down"
        assert (await outbox(http, to)).status_code == 404  # not delivered: not in the outbox
    finally:
        smtp_sink.start()

    # The first retry comes 5 s after the failed try (the default schedule).
    delivered = await eventually(lambda: _async(smtp_sink.messages(to)), bool, timeout_s=20.0)
    assert len(delivered) == 1
    await asyncio.sleep(6.0)  # longer than the first retry delay: no second copy comes
    assert len(smtp_sink.messages(to)) == 1
    listed = (await outbox(http, to, all="1")).json()["messages"]
    assert [m["token"] for m in listed] == [token]


async def test_expired_and_undecryptable_messages_are_dead_lettered(
    stack: Stack, smtp_sink: SmtpSink, http: httpx.AsyncClient
) -> None:
    namespace = stack.namespace
    client = await nats.connect(stack.nats_url)
    dead: list[Msg] = []
    subscription = await client.subscribe(f"{namespace}.notify.dead.>", cb=_append_to(dead))
    try:
        to = unique_address("expired")
        token = uuid.uuid4().hex
        expired = message(
            "magic-link",
            to,
            {"token": token, "url": f"http://localhost/m?token={token}"},
            expires_in=timedelta(seconds=-5),
        )
        await publish_sealed(stack, expired)
        garbage_id = f"garbage-{uuid.uuid4().hex}"
        await publish(stack, f"{namespace}.notify.email.verify-email", b"\x00garbage", garbage_id)

        await eventually(lambda: _async(len(dead)), lambda n: n >= 2)
        records = {json.loads(m.data)["id"]: (m.subject, json.loads(m.data)) for m in dead}
        subject, record = records[expired.id]
        assert subject == f"{namespace}.notify.dead.magic-link"
        assert record == {
            "id": expired.id,
            "type": "magic-link",
            "channel": "email",
            "recipientDomain": "example.test",
            "reason": "EXPIRED",
            "tries": 1,
        }
        assert token not in dead[0].data.decode() + dead[1].data.decode()
        _, garbage = records[garbage_id]
        assert (garbage["reason"], garbage["type"], garbage["recipientDomain"]) == (
            "UNDECRYPTABLE",
            "verify-email",
            "",
        )

        js = client.jetstream()
        consumer = durable_name(namespace, "notify")
        info = await eventually(
            lambda: js.consumer_info(stream_name(namespace, NOTIFY), consumer),
            lambda i: i.num_pending == 0 and i.num_ack_pending == 0,
        )
        assert (info.num_pending, info.num_ack_pending) == (0, 0)
    finally:
        await subscription.unsubscribe()
        await client.close()
    assert smtp_sink.messages(to) == []
    assert (await outbox(http, to)).status_code == 404


async def test_names_cannot_add_headers_or_recipients(
    stack: Stack, smtp_sink: SmtpSink, http: httpx.AsyncClient
) -> None:
    to = unique_address("invitee")
    fields = {
        "invitationId": "inv-1",
        "organizationId": "org-1",
        "role": "member",
        "inviterEmail": "owner@example.test",
        "inviterName": "Mallory\r\nBcc: evil@attacker.test",
        "organizationName": "Acme\nX-Injected: yes",
    }
    await publish_sealed(stack, message("organization-invitation", to, fields))
    [mail] = await eventually(lambda: _async(smtp_sink.messages(to)), bool)
    assert mail["Bcc"] is None
    assert mail["X-Injected"] is None
    assert mail["Subject"] == (
        "Mallory Bcc: evil@attacker.test invited you to Acme X-Injected: yes on Authmesh"
    )
    assert smtp_sink.messages("evil@attacker.test") == []
    entry = (await outbox(http, to)).json()
    assert set(entry) == {
        *("to", "type", "invitationId", "organizationId", "role", "inviterEmail", "createdAt"),
    }


async def _async(value: T) -> T:
    return value


def _append_to(received: list[Msg]) -> Callable[[Msg], Awaitable[None]]:
    async def append(msg: Msg) -> None:
        received.append(msg)

    return append


async def test_a_stack_without_smtp_runs_the_mail_catcher(tmp_path: Path) -> None:
    """What `make up` does without AUTHMESH_SMTP_HOST: notify sends to the catcher, whose page
    shows the mail. Its own backing, so that its notify shares no queue with the session's."""
    page_port = free_ports(1)[0]
    spec = StackSpec(
        secret="s" * 43,
        encryption_keys=new_key_ring_spec(),
        mode=Mode.DEVELOPMENT,
        mail_catcher_port=page_port,
    )
    async with (
        fresh_backing(tmp_path / "backing") as backing,
        Stack.create(spec, backing, log_dir=tmp_path / "logs", services=("notify",)) as stack,
    ):
        to = unique_address("caught").lower()
        url = "http://localhost:8000/api/auth/magic-link/verify?token=t1"
        await publish_sealed(stack, message("magic-link", to, {"token": "t1", "url": url}))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{page_port}") as page:
            caught = await eventually(
                lambda: page.get("/api/messages"), lambda r: bool(r.json()), timeout_s=15.0
            )
            [mail] = caught.json()
            assert mail["to"] == [to]
            assert url in mail["text"]
            index = await page.get("/")
            assert to in index.text
            assert (await page.get(f"/messages/{mail['number']}")).status_code == 200
