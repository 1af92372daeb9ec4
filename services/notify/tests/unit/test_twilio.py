"""The Twilio adapter against a local stub of the Messages API that checks what Twilio checks:
the path with the account SID, HTTP basic authentication with SID and token, and the form."""

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import pytest

from authmesh_notify.delivery.twilio import TwilioSms
from authmesh_notify.domain.errors import PermanentDeliveryError, TransientDeliveryError
from authmesh_notify.domain.model import Sms

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "twilio-auth-token-for-tests"
FROM = "+15550001111"
SMS = Sms(to="+15551234567", body="482913 is your Acme verification code.")


@dataclass
class StubTwilio:
    """Answers like Twilio: 401 without the right credentials, 404 on another path, else
    `status` (201 unless a test changes it), after `delay_s`."""

    status: int = 201
    delay_s: float = 0.0
    requests: list[dict[str, object]] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *header_lines = head.split("\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in header_lines if line)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        method, path, _ = request_line.split(" ")
        form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
        self.requests.append({"method": method, "path": path, "headers": headers, "form": form})
        expected_auth = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
        await asyncio.sleep(self.delay_s)
        if headers.get("authorization") != expected_auth:
            status, reply = 401, {"code": 20003, "message": "Authenticate"}
        elif method != "POST" or path != f"/2010-04-01/Accounts/{SID}/Messages.json":
            status, reply = 404, {"code": 20404, "message": "not found"}
        elif self.status >= 300:
            status, reply = self.status, {"code": 21211, "message": f"invalid 'To' {form['To']}"}
        else:
            status, reply = 201, {"sid": "SM" + "0" * 32, "status": "queued"}
        data = json.dumps(reply).encode()
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
            + data
        )
        await writer.drain()
        writer.close()


@pytest.fixture
async def stub() -> AsyncIterator[StubTwilio]:
    twilio = StubTwilio()
    server = await asyncio.start_server(twilio.handle, "127.0.0.1", 0)
    twilio.port = server.sockets[0].getsockname()[1]
    try:
        yield twilio
    finally:
        server.close()


def adapter(port: int, token: str = TOKEN, timeout_s: float = 2.0) -> TwilioSms:
    return TwilioSms(
        base_url=f"http://127.0.0.1:{port}",
        account_sid=SID,
        auth_token=token,
        sender=FROM,
        timeout_s=timeout_s,
    )


async def test_a_message_is_posted_as_twilio_expects(stub: StubTwilio) -> None:
    twilio = adapter(stub.port)
    try:
        await twilio.send(SMS, message_type="phone-otp")
    finally:
        await twilio.aclose()
    [request] = stub.requests
    assert request["method"] == "POST"
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    headers = request["headers"]
    assert isinstance(headers, dict)
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert request["form"] == {"To": SMS.to, "From": FROM, "Body": SMS.body}


async def test_wrong_credentials_wait_for_the_operator(stub: StubTwilio) -> None:
    twilio = adapter(stub.port, token="wrong")
    try:
        with pytest.raises(TransientDeliveryError) as failure:
            await twilio.send(SMS, message_type="phone-otp")
    finally:
        await twilio.aclose()
    assert failure.value.reason == "PROVIDER_LOGIN_FAILED"


async def test_a_refused_number_is_permanent_and_the_error_names_no_number(
    stub: StubTwilio,
) -> None:
    stub.status = 400
    twilio = adapter(stub.port)
    try:
        with pytest.raises(PermanentDeliveryError) as failure:
            await twilio.send(SMS, message_type="phone-otp")
    finally:
        await twilio.aclose()
    assert failure.value.reason == "PROVIDER_REFUSED"
    assert "21211" in str(failure.value)
    assert SMS.to not in str(failure.value)


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_a_busy_provider_is_transient(stub: StubTwilio, status: int) -> None:
    stub.status = status
    twilio = adapter(stub.port)
    try:
        with pytest.raises(TransientDeliveryError):
            await twilio.send(SMS, message_type="phone-otp")
    finally:
        await twilio.aclose()


async def test_a_slow_provider_times_out_as_transient(stub: StubTwilio) -> None:
    stub.delay_s = 1.0
    twilio = adapter(stub.port, timeout_s=0.2)
    try:
        with pytest.raises(TransientDeliveryError) as failure:
            await twilio.send(SMS, message_type="phone-otp")
    finally:
        await twilio.aclose()
    assert failure.value.reason == "PROVIDER_UNAVAILABLE"


async def test_an_unreachable_provider_is_transient() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    twilio = adapter(port)
    try:
        with pytest.raises(TransientDeliveryError):
            await twilio.send(SMS, message_type="phone-otp")
    finally:
        await twilio.aclose()
