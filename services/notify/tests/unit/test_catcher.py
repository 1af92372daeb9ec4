"""The development mail catcher: mail sent to its SMTP port shows on its page, escaped, with an
HTML body only in a sandboxed frame."""

import aiosmtplib
import httpx

from authmesh_kit.stack.plan import free_ports
from authmesh_notify.catcher import MailStore, respond, serving
from authmesh_notify.delivery.smtp import build_mime
from authmesh_notify.domain.addresses import parse_sender
from authmesh_notify.domain.model import Email

EVIL = "<script>alert(1)</script>"


async def test_received_mail_is_listed_and_shown_escaped() -> None:
    smtp_port, http_port = free_ports(2)
    store = MailStore()
    email = Email(
        to="alice@example.com",
        subject=f"Hello {EVIL}",
        text=f"text with {EVIL}",
        html=f'<p onclick="x()">html</p>{EVIL}',
    )
    async with serving(store, smtp_port, http_port):
        message = build_mime(email, parse_sender("Acme <no-reply@acme.test>"))
        await aiosmtplib.send(message, hostname="127.0.0.1", port=smtp_port, start_tls=False)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}") as http:
            index = await http.get("/")
            view = await http.get("/messages/1")
            api = await http.get("/api/messages")
            missing = await http.get("/messages/2")
    assert index.status_code == 200
    assert "alice@example.com" in index.text
    assert EVIL not in index.text
    assert "Hello &lt;script&gt;" in index.text
    assert "default-src 'none'" in index.headers["content-security-policy"]

    assert view.status_code == 200
    assert EVIL not in view.text
    assert "text with &lt;script&gt;" in view.text
    assert '<iframe sandbox="" srcdoc="&lt;p onclick=&quot;x()&quot;&gt;' in view.text

    [caught] = api.json()
    assert caught["to"] == ["alice@example.com"]
    assert caught["subject"] == f"Hello {EVIL}"
    assert missing.status_code == 404


def test_only_gets_of_known_pages() -> None:
    store = MailStore()
    assert respond(store, "POST", "/")[0] == 405
    assert respond(store, "GET", "/messages/x")[0] == 404
    assert respond(store, "GET", "/nope/1")[0] == 404
    assert "No mail yet" in respond(store, "GET", "/")[2]
