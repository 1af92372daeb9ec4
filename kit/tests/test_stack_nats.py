"""The NATS users of a stack: what each service may publish and consume, on a real server."""

from collections.abc import AsyncIterator

import nats
import pytest
from nats.aio.client import Client
from nats.js.api import RetentionPolicy, StorageType

from authmesh_kit.bootstrap import ensure_streams
from authmesh_kit.events.names import AUTH_EVENTS, NOTIFY, durable_name, stream_name
from authmesh_kit.settings import SERVICE_NAMES
from authmesh_kit.stack.backing import Backing
from authmesh_kit.stack.nats_server import NatsServer
from authmesh_kit.stack.plan import free_ports

pytestmark = pytest.mark.integration

# A server of this module's own: published test events must not reach the session's stack.
NS = "permtest"
AUTH = stream_name(NS, AUTH_EVENTS)


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[NatsServer]:
    server = NatsServer(tmp_path_factory.mktemp("nats"), NS, free_ports(1)[0])
    await server.start()
    await ensure_streams(server.url(), NS)
    yield server
    await server.stop()


async def connect(server: NatsServer, user: str, errors: list[str] | None = None) -> Client:
    async def record(error: Exception) -> None:
        if errors is not None:
            errors.append(str(error))

    return await nats.connect(server.url(user), error_cb=record, connect_timeout=2)


async def test_streams_are_configured_idempotently(server: NatsServer) -> None:
    await ensure_streams(server.url(), NS)
    admin = await connect(server, "admin")
    try:
        js = admin.jetstream()
        auth = (await js.stream_info(AUTH)).config
        notify = (await js.stream_info(stream_name(NS, NOTIFY))).config
    finally:
        await admin.close()
    assert auth.subjects == [f"{NS}.auth.>"]
    assert (auth.storage, auth.retention) == (StorageType.FILE, RetentionPolicy.LIMITS)
    assert (auth.duplicate_window, auth.max_age) == (600.0, 30 * 24 * 3600.0)
    assert notify.subjects == [f"{NS}.notify.>"]
    assert (notify.retention, notify.max_age) == (RetentionPolicy.WORK_QUEUE, 3600.0)


async def test_a_service_publishes_its_own_events_once(server: NatsServer) -> None:
    identity = await connect(server, "identity")
    try:
        js = identity.jetstream()
        headers = {"Nats-Msg-Id": "event-1"}
        subject = f"{NS}.auth.identity.user.created"
        first = await js.publish(subject, b"{}", headers=headers, stream=AUTH)
        again = await js.publish(subject, b"{}", headers=headers, stream=AUTH)
    finally:
        await identity.close()
    assert first.stream == AUTH
    assert again.duplicate is True


async def test_a_service_pulls_with_a_durable_and_acks(server: NatsServer) -> None:
    identity = await connect(server, "identity")
    audit = await connect(server, "audit")
    try:
        await identity.jetstream().publish(
            f"{NS}.auth.identity.password.changed", b"p", stream=AUTH
        )
        js = audit.jetstream()
        durable = durable_name(NS, "audit_writer")
        subscription = await js.pull_subscribe(f"{NS}.auth.>", durable=durable, stream=AUTH)
        messages = await subscription.fetch(10, timeout=2)
        for message in messages:
            await message.ack_sync()
        info = await js.consumer_info(AUTH, durable)
    finally:
        await identity.close()
        await audit.close()
    assert any(m.subject == f"{NS}.auth.identity.password.changed" for m in messages)
    assert info.num_ack_pending == 0


async def test_a_service_reads_with_an_ordered_consumer(server: NatsServer) -> None:
    identity = await connect(server, "identity")
    session = await connect(server, "session")
    try:
        js = session.jetstream()
        subject = f"{NS}.auth.identity.user.banned"
        subscription = await js.subscribe(subject, stream=AUTH, ordered_consumer=True)
        await identity.jetstream().publish(subject, b"banned", stream=AUTH)
        message = await subscription.next_msg(timeout=2)
    finally:
        await identity.close()
        await session.close()
    assert message.data == b"banned"


async def test_a_service_cannot_publish_another_services_events(server: NatsServer) -> None:
    errors: list[str] = []
    identity = await connect(server, "identity", errors)
    admin = await connect(server, "admin")
    try:
        before = (await admin.jetstream().stream_info(AUTH)).state.last_seq
        js = identity.jetstream(timeout=0.5)
        with pytest.raises(nats.errors.TimeoutError):
            await js.publish(f"{NS}.auth.session.session.revoked", b"forged", stream=AUTH)
        with pytest.raises(nats.errors.TimeoutError):
            await js.delete_stream(AUTH)
        after = (await admin.jetstream().stream_info(AUTH)).state.last_seq
    finally:
        await identity.close()
        await admin.close()
    assert before == after
    assert [error for error in errors if "permissions violation" in error] == [
        f'nats: permissions violation for publish to "{NS}.auth.session.session.revoked"',
        f'nats: permissions violation for publish to "$js.api.stream.delete.{AUTH.lower()}"',
    ]


async def test_notifications_are_a_work_queue_any_service_can_feed(server: NatsServer) -> None:
    identity = await connect(server, "identity")
    notify = await connect(server, "notify")
    stream = stream_name(NS, NOTIFY)
    try:
        await identity.jetstream().publish(f"{NS}.notify.email", b"mail", stream=stream)
        js = notify.jetstream()
        subscription = await js.pull_subscribe(
            f"{NS}.notify.>", durable=durable_name(NS, "sender"), stream=stream
        )
        [message] = await subscription.fetch(1, timeout=2)
        await message.ack_sync()
        left = (await js.stream_info(stream)).state.messages
    finally:
        await identity.close()
        await notify.close()
    assert (message.data, left) == (b"mail", 0)


async def test_a_restarted_server_keeps_its_port_and_store(server: NatsServer) -> None:
    admin = await connect(server, "admin")
    try:
        before = (await admin.jetstream().stream_info(AUTH)).state.last_seq
    finally:
        await admin.close()
    await server.stop()
    assert not server.running
    await server.start()
    admin = await connect(server, "admin")
    try:
        after = (await admin.jetstream().stream_info(AUTH)).state.last_seq
    finally:
        await admin.close()
    assert after == before > 0


async def test_the_session_backing_has_a_user_per_service(backing: Backing) -> None:
    for service in SERVICE_NAMES:
        client = await nats.connect(backing.nats_urls()[service], connect_timeout=2)
        try:
            await client.jetstream().account_info()
        finally:
            await client.close()
